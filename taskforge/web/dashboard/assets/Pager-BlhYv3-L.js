import{i as e,o as t}from"./index-Bg_Glf5C.js";var n=t(`
  query QueueChoices {
    queues(first: 100) { edges { node { id name isPaused } } }
  }
`);t(`
  fragment JobRow on Job {
    id
    jobType
    name
    status
    queueId
    workflowId
    priority
    attempts
    maxAttempts
    createdAt
    startedAt
    finishedAt
    progress
    queue { id name }
  }
`);var r=e();function i({pageInfo:e,after:t,onPage:n,total:i,shown:a}){return(0,r.jsxs)(`nav`,{className:`pager`,"aria-label":`Pages`,children:[i!=null&&(0,r.jsxs)(`span`,{className:`muted`,children:[a==null?``:`${a.toLocaleString()} shown of `,i.toLocaleString()]}),(0,r.jsx)(`button`,{type:`button`,onClick:()=>n(null),disabled:t===null,children:`First page`}),(0,r.jsx)(`button`,{type:`button`,onClick:()=>e?.endCursor&&n(e.endCursor),disabled:!e?.hasNextPage||!e.endCursor,children:`Next page`})]})}export{n,i as t};