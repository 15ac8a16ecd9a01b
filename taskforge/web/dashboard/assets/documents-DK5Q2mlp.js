import{i as e,o as t}from"./index-BdEwGhYn.js";import{l as n,u as r}from"./format-B0JahvJ1.js";var i={PENDING:`○`,SCHEDULED:`◷`,PROCESSING:`▶`,SUCCEEDED:`✓`,FAILED:`✕`,CANCELLED:`⊘`,SKIPPED:`↷`},a=[`FAILED`,`PROCESSING`,`SUCCEEDED`,`PENDING`,`SCHEDULED`,`CANCELLED`,`SKIPPED`];function o(e){if(!e)return{tone:`muted`,symbol:`?`,label:`Unknown`,className:`tone-muted`};let t=r(e);return{tone:t,symbol:i[e]??`•`,label:n(e),className:`tone-${t}`}}function s(e){let t=0;for(let n of a)t+=e[n]??0;return t}function c(e,t=a.length){let r=[];for(let t of a){let i=e[t]??0;i>0&&r.push(`${i.toLocaleString(`en-US`)} ${n(t).toLowerCase()}`)}return r.length===0?`none`:r.length>t?`${r.slice(0,t).join(`, `)}, …`:r.join(`, `)}function l(e){return`${e.toLocaleString(`en-US`)} ${e===1?`job`:`jobs`}`}function u(e){if((e.FAILED??0)>0)return`danger`;if((e.PROCESSING??0)>0)return`running`;let t=s(e);return t>0&&(e.SUCCEEDED??0)===t?`success`:t>0&&(e.SUCCEEDED??0)+(e.CANCELLED??0)+(e.SKIPPED??0)===t?`muted`:`waiting`}var d=e();function f(e){let t={};for(let{status:n,count:r}of e.counts)t[n]=r;return t}var p=[{statuses:[`SUCCEEDED`],className:`seg-success`},{statuses:[`FAILED`],className:`seg-danger`},{statuses:[`CANCELLED`,`SKIPPED`],className:`seg-muted`},{statuses:[`PROCESSING`],className:`seg-running`}];function m(e,t){if(t<=0)return[];let n=[],r=0;for(let{statuses:i,className:a}of p){let o=i.reduce((t,n)=>t+(e[n]??0),0);if(o<=0)continue;let s=o/t*100;n.push([a,r,s]),r+=s}return n}function h({stats:e,compact:t=!1}){let n=f(e),r=Math.round(e.completionPercentage),i=`${e.completed.toLocaleString(`en-US`)} of ${e.total.toLocaleString(`en-US`)} jobs ended (${r}%)`,a=c(n);return(0,d.jsxs)(`div`,{className:t?`wf-progress compact`:`wf-progress`,children:[(0,d.jsxs)(`svg`,{className:`wf-progress-bar`,viewBox:`0 0 100 10`,preserveAspectRatio:`none`,role:`progressbar`,"aria-valuemin":0,"aria-valuemax":100,"aria-valuenow":r,"aria-valuetext":`${i}: ${a}`,"aria-label":`Progress`,children:[(0,d.jsx)(`rect`,{className:`seg-track`,x:0,y:0,width:100,height:10}),m(n,e.total).map(([e,t,n])=>(0,d.jsx)(`rect`,{className:e,x:t,y:0,width:n,height:10},e))]}),(0,d.jsx)(`span`,{className:`wf-progress-text`,children:t?`${r}% · ${e.completed.toLocaleString(`en-US`)}/${e.total.toLocaleString(`en-US`)}`:i}),!t&&(0,d.jsx)(`span`,{className:`muted wf-progress-detail`,children:a})]})}t(`
  fragment WorkflowSummary on Workflow {
    id
    name
    status
    failurePolicy
    createdAt
    startedAt
    finishedAt
    stats { total completed completionPercentage counts { status count } }
  }
`);var g=t(`
  query Workflows($first: Int!, $after: String, $status: [WorkflowStatus!]) {
    workflows(first: $first, after: $after, status: $status) {
      edges { cursor node { ...WorkflowSummary } }
      pageInfo { hasNextPage endCursor }
    }
  }
`),_=t(`
  query WorkflowsCount($status: [WorkflowStatus!]) {
    workflows(first: 1, status: $status) { totalCount }
  }
`),v=t(`
  subscription WorkflowsLive($after: ID) {
    jobStatusChanged(after: $after) { eventId workflowId }
  }
`),y=t(`
  query Workflow($id: ID!) {
    workflow(id: $id) {
      ...WorkflowSummary
      description
      timeoutSeconds
      priority
      deadlineAt
      prunedAt
      nesting
      parentJobId
      parentWorkflowId
      template { name version }
    }
  }
`),b=t(`
  query WorkflowGraph($id: ID!) {
    workflow(id: $id) {
      id
      graph { json criticalPath }
    }
  }
`),x=t(`
  subscription WorkflowProgressLive($workflowId: ID!, $after: ID) {
    workflowProgress(workflowId: $workflowId, after: $after) {
      eventId
      jobId
      jobStatus
      workflowStatus
      stats { total completed completionPercentage counts { status count } }
    }
  }
`),S=t(`
  mutation StartWorkflow($id: ID!) { startWorkflow(id: $id) { ...WorkflowSummary } }
`),C=t(`
  mutation CancelWorkflow($id: ID!) { cancelWorkflow(id: $id) { ...WorkflowSummary } }
`),w=t(`
  mutation RetryWorkflow($id: ID!) { retryWorkflow(id: $id) { ...WorkflowSummary } }
`),T=t(`
  mutation ResumeWorkflow($id: ID!, $action: ResumeAction!) {
    resumeWorkflow(id: $id, action: $action) { ...WorkflowSummary }
  }
`),E=t(`
  mutation DeleteWorkflow($id: ID!) { deleteWorkflow(id: $id) }
`);export{l as _,S as a,x as c,v as d,h as f,u as g,o as h,w as i,_ as l,a as m,E as n,y as o,m as p,T as r,b as s,C as t,g as u,c as v};