import{i as e,p as t}from"./index-X1LKmurv.js";import{l as n,u as r}from"./format-Boy2QifC.js";var i={PENDING:`○`,SCHEDULED:`◷`,PROCESSING:`▶`,SUCCEEDED:`✓`,FAILED:`✕`,CANCELLED:`⊘`,SKIPPED:`↷`},a=[`FAILED`,`PROCESSING`,`SUCCEEDED`,`PENDING`,`SCHEDULED`,`CANCELLED`,`SKIPPED`];function o(e){if(!e)return{tone:`muted`,symbol:`?`,label:`Unknown`,className:`tone-muted`};let t=r(e);return{tone:t,symbol:i[e]??`•`,label:n(e),className:`tone-${t}`}}var s=new Intl.NumberFormat(`en-US`,{maximumFractionDigits:0});function c(e){return s.format(e)}function l(e){let t=0;for(let n of a)t+=e[n]??0;return t}function u(e,t=a.length){let r=[];for(let t of a){let i=e[t]??0;i>0&&r.push(`${c(i)} ${n(t).toLowerCase()}`)}return r.length===0?`none`:r.length>t?`${r.slice(0,t).join(`, `)}, …`:r.join(`, `)}function d(e){return`${c(e)} ${e===1?`job`:`jobs`}`}function f(e){if((e.FAILED??0)>0)return`danger`;if((e.PROCESSING??0)>0)return`running`;let t=l(e);return t>0&&(e.SUCCEEDED??0)===t?`success`:t>0&&(e.SUCCEEDED??0)+(e.CANCELLED??0)+(e.SKIPPED??0)===t?`muted`:`waiting`}var p=e();function m(e){let t={};for(let{status:n,count:r}of e.counts)t[n]=r;return t}var h=[{statuses:[`SUCCEEDED`],className:`seg-success`},{statuses:[`FAILED`],className:`seg-danger`},{statuses:[`CANCELLED`,`SKIPPED`],className:`seg-muted`},{statuses:[`PROCESSING`],className:`seg-running`}];function g(e,t){if(t<=0)return[];let n=[],r=0;for(let{statuses:i,className:a}of h){let o=i.reduce((t,n)=>t+(e[n]??0),0);if(o<=0)continue;let s=o/t*100;n.push([a,r,s]),r+=s}return n}function _({stats:e,compact:t=!1}){let n=m(e),r=Math.round(e.completionPercentage),i=`${c(e.completed)} of ${c(e.total)} jobs ended (${r}%)`,a=u(n);return(0,p.jsxs)(`div`,{className:t?`wf-progress compact`:`wf-progress`,children:[(0,p.jsxs)(`svg`,{className:`wf-progress-bar`,viewBox:`0 0 100 10`,preserveAspectRatio:`none`,role:`progressbar`,"aria-valuemin":0,"aria-valuemax":100,"aria-valuenow":r,"aria-valuetext":`${i}: ${a}`,"aria-label":`Progress`,children:[(0,p.jsx)(`rect`,{className:`seg-track`,x:0,y:0,width:100,height:10}),g(n,e.total).map(([e,t,n])=>(0,p.jsx)(`rect`,{className:e,x:t,y:0,width:n,height:10},e))]}),(0,p.jsx)(`span`,{className:`wf-progress-text`,children:t?`${r}% · ${c(e.completed)}/${c(e.total)}`:i}),!t&&(0,p.jsx)(`span`,{className:`muted wf-progress-detail`,children:a})]})}t(`
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
`);var v=t(`
  query Workflows($first: Int!, $after: String, $status: [WorkflowStatus!]) {
    workflows(first: $first, after: $after, status: $status) {
      edges { cursor node { ...WorkflowSummary } }
      pageInfo { hasNextPage endCursor }
    }
  }
`),y=t(`
  query WorkflowsCount($status: [WorkflowStatus!]) {
    workflows(first: 1, status: $status) { totalCount }
  }
`),b=t(`
  subscription WorkflowsLive($after: ID) {
    jobStatusChanged(after: $after) { eventId workflowId }
  }
`),x=t(`
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
`),S=t(`
  query WorkflowGraph($id: ID!) {
    workflow(id: $id) {
      id
      graph { json criticalPath }
    }
  }
`),C=t(`
  subscription WorkflowProgressLive($workflowId: ID!, $after: ID) {
    workflowProgress(workflowId: $workflowId, after: $after) {
      eventId
      jobId
      jobStatus
      workflowStatus
      stats { total completed completionPercentage counts { status count } }
    }
  }
`),w=t(`
  mutation StartWorkflow($id: ID!) { startWorkflow(id: $id) { ...WorkflowSummary } }
`),T=t(`
  mutation CancelWorkflow($id: ID!) { cancelWorkflow(id: $id) { ...WorkflowSummary } }
`),E=t(`
  mutation RetryWorkflow($id: ID!) { retryWorkflow(id: $id) { ...WorkflowSummary } }
`),D=t(`
  mutation ResumeWorkflow($id: ID!, $action: ResumeAction!) {
    resumeWorkflow(id: $id, action: $action) { ...WorkflowSummary }
  }
`),O=t(`
  mutation DeleteWorkflow($id: ID!) { deleteWorkflow(id: $id) }
`);export{f as _,w as a,C as c,b as d,_ as f,c as g,o as h,E as i,y as l,a as m,O as n,x as o,g as p,D as r,S as s,T as t,v as u,d as v,u as y};