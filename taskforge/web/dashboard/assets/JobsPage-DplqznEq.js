import{c as e,d as t,i as n,m as r,n as i,o as a,p as o,s,t as c,u as l}from"./index-C6Brlgcx.js";import{f as u,i as d,n as f,r as p,t as m,u as h}from"./Time-DoHNQ4In.js";var g=r(o(),1),_=a(`
  query QueueChoices {
    queues(first: 100) { edges { node { id name isPaused } } }
  }
`);a(`
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
`);var v=n(),y=a(`
  mutation EnqueueJob($input: EnqueueJobInput!) {
    enqueueJob(input: $input) { id status jobType }
  }
`);function b(e){if(!e.trim())return{value:{}};try{let t=JSON.parse(e);return typeof t!=`object`||!t||Array.isArray(t)?{error:`The payload must be a JSON object, like {"to": "ada@example.com"}.`}:{value:t}}catch(e){return{error:`The payload is not valid JSON: ${e.message}`}}}function x({defaultQueueId:t,onClose:n}){let[{data:r}]=e({query:_}),[{fetching:a,error:o},c]=s(y),[u,d]=(0,g.useState)(t??``),[f,p]=(0,g.useState)(``),[m,h]=(0,g.useState)(`{}`),[x,S]=(0,g.useState)(5),[C,w]=(0,g.useState)(null),[T,E]=(0,g.useState)(null),D=r?.queues.edges.map(e=>e.node)??[],O=u||D[0]?.id||``;async function k(e){e.preventDefault(),E(null);let t=b(m);if(`error`in t){w(t.error);return}w(null);let n=await c({input:{queueId:O,jobType:f.trim(),payload:t.value,priority:x}});n.data&&E(n.data.enqueueJob)}return(0,v.jsxs)(`form`,{className:`card form enqueue`,onSubmit:k,"aria-labelledby":`enqueue-title`,children:[(0,v.jsx)(`h2`,{id:`enqueue-title`,children:`Enqueue a job`}),(0,v.jsxs)(`div`,{className:`filters`,children:[(0,v.jsxs)(`label`,{children:[`Queue`,(0,v.jsx)(`select`,{value:O,onChange:e=>d(e.target.value),required:!0,children:D.map(e=>(0,v.jsxs)(`option`,{value:e.id,children:[e.name,e.isPaused?` (paused)`:``]},e.id))})]}),(0,v.jsxs)(`label`,{children:[`Job type`,(0,v.jsx)(`input`,{value:f,onChange:e=>p(e.target.value),required:!0,placeholder:`send_email`})]}),(0,v.jsxs)(`label`,{children:[`Priority`,(0,v.jsx)(`input`,{type:`number`,min:0,max:9,value:x,onChange:e=>S(Number(e.target.value))})]})]}),(0,v.jsxs)(`label`,{children:[`Payload (JSON)`,(0,v.jsx)(`textarea`,{value:m,onChange:e=>h(e.target.value),spellCheck:!1,rows:5})]}),(0,v.jsx)(i,{error:C??o}),T&&(0,v.jsxs)(`p`,{role:`status`,children:[`Enqueued `,(0,v.jsx)(l,{to:`/jobs/${T.id}`,children:T.jobType}),`.`]}),(0,v.jsxs)(`div`,{className:`actions-row`,children:[(0,v.jsx)(`button`,{type:`submit`,className:`primary`,disabled:a||!O,children:a?`Enqueueing…`:`Enqueue`}),n&&(0,v.jsx)(`button`,{type:`button`,onClick:n,children:`Close`})]})]})}var S=[`PENDING`,`SCHEDULED`,`PROCESSING`,`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`],C={queueId:null,statuses:[],jobType:null,workflowId:null,createdAfter:null,createdBefore:null,after:null},w={queueId:`queue`,jobType:`type`,workflowId:`workflow`,createdAfter:`from`,createdBefore:`to`,after:`after`};function T(e){if(!e)return null;let t=new Date(e);return Number.isNaN(t.getTime())?null:t.toISOString()}function E(e){let t=t=>e.get(t)?.trim()||null,n=(e.get(`status`)??``).split(`,`).map(e=>e.trim().toUpperCase()).filter(e=>S.includes(e));return{queueId:t(w.queueId),statuses:S.filter(e=>n.includes(e)),jobType:t(w.jobType),workflowId:t(w.workflowId),createdAfter:T(t(w.createdAfter)),createdBefore:T(t(w.createdBefore)),after:t(w.after)}}function D(e){let t=new URLSearchParams;return e.queueId&&t.set(w.queueId,e.queueId),e.statuses.length&&t.set(`status`,e.statuses.join(`,`)),e.jobType&&t.set(w.jobType,e.jobType),e.workflowId&&t.set(w.workflowId,e.workflowId),e.createdAfter&&t.set(w.createdAfter,e.createdAfter),e.createdBefore&&t.set(w.createdBefore,e.createdBefore),e.after&&t.set(w.after,e.after),t}function O(e,t){return{first:t,after:e.after,queueId:e.queueId,status:e.statuses.length?e.statuses:null,jobType:e.jobType,workflowId:e.workflowId,createdAfter:e.createdAfter,createdBefore:e.createdBefore}}function k(e){return{queueId:e.queueId,workflowId:e.workflowId}}function A(e,t){if(t.queueId&&e.queueId!==t.queueId||t.workflowId&&e.workflowId!==t.workflowId||t.jobType&&e.jobType!==t.jobType||t.statuses.length&&!t.statuses.includes(e.status))return!1;let n=new Date(e.createdAt).getTime();return!(t.createdAfter&&n<new Date(t.createdAfter).getTime()||t.createdBefore&&n>=new Date(t.createdBefore).getTime())}function j(e,t,n,r){let i=e.findIndex(e=>e.id===t.jobId);if(i>=0){let n=e[i],r=t.job===null?null:t.job??{...n,status:t.status,progress:t.progress??n.progress},a=e.slice();return r===null?a.splice(i,1):a[i]=r,a}return t.previousStatus!=null||n.after!==null||!t.job||!A(t.job,n)?e:[t.job,...e].slice(0,r)}function M(e){if(!e)return``;let t=new Date(e);return Number.isNaN(t.getTime())?``:new Date(t.getTime()-t.getTimezoneOffset()*6e4).toISOString().slice(0,16)}function N(e){return e?T(e):null}function P({value:t,onApply:n}){let[{data:r}]=e({query:_}),[i,a]=(0,g.useState)(t);(0,g.useEffect)(()=>a(t),[t]);let o=e=>a(t=>({...t,...e}));function s(e){e.preventDefault(),n({...i,jobType:i.jobType?.trim()||null,workflowId:i.workflowId?.trim()||null,after:null})}return(0,v.jsxs)(`form`,{className:`filters card`,onSubmit:s,"aria-label":`Filter jobs`,children:[(0,v.jsxs)(`label`,{children:[`Queue`,(0,v.jsxs)(`select`,{value:i.queueId??``,onChange:e=>o({queueId:e.target.value||null}),children:[(0,v.jsx)(`option`,{value:``,children:`All queues`}),r?.queues.edges.map(({node:e})=>(0,v.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),(0,v.jsxs)(`fieldset`,{children:[(0,v.jsx)(`legend`,{children:`Status`}),(0,v.jsx)(`div`,{className:`checks`,children:S.map(e=>(0,v.jsxs)(`label`,{children:[(0,v.jsx)(`input`,{type:`checkbox`,checked:i.statuses.includes(e),onChange:t=>o({statuses:S.filter(n=>n===e?t.target.checked:i.statuses.includes(n))})}),d(e)]},e))})]}),(0,v.jsxs)(`label`,{children:[`Type`,(0,v.jsx)(`input`,{value:i.jobType??``,onChange:e=>o({jobType:e.target.value}),placeholder:`any`})]}),(0,v.jsxs)(`label`,{children:[`Workflow id`,(0,v.jsx)(`input`,{value:i.workflowId??``,onChange:e=>o({workflowId:e.target.value}),placeholder:`any`})]}),(0,v.jsxs)(`label`,{children:[`Created from`,(0,v.jsx)(`input`,{type:`datetime-local`,value:M(i.createdAfter),onChange:e=>o({createdAfter:N(e.target.value)})})]}),(0,v.jsxs)(`label`,{children:[`Created before`,(0,v.jsx)(`input`,{type:`datetime-local`,value:M(i.createdBefore),onChange:e=>o({createdBefore:N(e.target.value)})})]}),(0,v.jsxs)(`div`,{className:`actions-row`,children:[(0,v.jsx)(`button`,{type:`submit`,className:`primary`,children:`Apply`}),(0,v.jsx)(`button`,{type:`button`,onClick:()=>n(C),children:`Clear`})]})]})}function F({pageInfo:e,after:t,onPage:n,total:r,shown:i}){return(0,v.jsxs)(`nav`,{className:`pager`,"aria-label":`Pages`,children:[r!=null&&(0,v.jsxs)(`span`,{className:`muted`,children:[i==null?``:`${i.toLocaleString()} shown of `,r.toLocaleString()]}),(0,v.jsx)(`button`,{type:`button`,onClick:()=>n(null),disabled:t===null,children:`First page`}),(0,v.jsx)(`button`,{type:`button`,onClick:()=>e?.endCursor&&n(e.endCursor),disabled:!e?.hasNextPage||!e.endCursor,children:`Next page`})]})}var I=50,L=a(`
  query Jobs(
    $first: Int!
    $after: String
    $queueId: ID
    $status: [JobStatus!]
    $jobType: String
    $workflowId: ID
    $createdAfter: DateTime
    $createdBefore: DateTime
  ) {
    jobs(
      first: $first
      after: $after
      queueId: $queueId
      status: $status
      jobType: $jobType
      workflowId: $workflowId
      createdAfter: $createdAfter
      createdBefore: $createdBefore
    ) {
      edges { node { ...JobRow } }
      pageInfo { hasNextPage endCursor }
    }
  }
`),R=a(`
  query JobsCount(
    $queueId: ID
    $status: [JobStatus!]
    $jobType: String
    $workflowId: ID
    $createdAfter: DateTime
    $createdBefore: DateTime
  ) {
    jobs(
      first: 1
      queueId: $queueId
      status: $status
      jobType: $jobType
      workflowId: $workflowId
      createdAfter: $createdAfter
      createdBefore: $createdBefore
    ) {
      totalCount
    }
  }
`),z=a(`
  subscription JobsLive($queueId: ID, $workflowId: ID, $after: ID) {
    jobStatusChanged(queueId: $queueId, workflowId: $workflowId, after: $after) {
      eventId
      jobId
      status
      previousStatus
      progress
      job { ...JobRow }
    }
  }
`);function B(){let[n,r]=t(),a=(0,g.useMemo)(()=>E(n),[n]),o=(0,g.useMemo)(()=>O(a,I),[a]),{first:s,after:d,..._}=o,[{data:y,error:b,fetching:S},C]=e({query:L,variables:o}),[{data:w},T]=e({query:R,variables:_}),[A,M]=(0,g.useState)([]),[N,B]=(0,g.useState)(new Set),[V,H]=(0,g.useState)(!1);(0,g.useEffect)(()=>{M(y?.jobs.edges.map(e=>e.node)??[])},[y]);let U=(0,g.useCallback)(()=>{C({requestPolicy:`network-only`}),T({requestPolicy:`network-only`})},[C,T]);h({query:z,variables:k(a),cursorOf:e=>e.jobStatusChanged.eventId,onEvent:({jobStatusChanged:e})=>{M(t=>{let n=j(t,e,a,I);return n!==t&&e.previousStatus==null&&n[0]?.id===e.jobId&&B(t=>new Set(t).add(e.jobId)),n})},onResync:U});let W=e=>r(D(e));return(0,v.jsxs)(v.Fragment,{children:[(0,v.jsx)(c,{title:`Jobs`,children:(0,v.jsx)(`button`,{type:`button`,className:`primary`,onClick:()=>H(e=>!e),"aria-expanded":V,children:`Enqueue job`})}),V&&(0,v.jsx)(x,{defaultQueueId:a.queueId,onClose:()=>H(!1)}),(0,v.jsx)(P,{value:a,onApply:W}),(0,v.jsx)(i,{error:b}),!y&&S?(0,v.jsx)(`p`,{className:`muted`,children:`Loading…`}):(0,v.jsx)(u,{caption:`Jobs, newest first`,rows:A,rowKey:e=>e.id,rowClassName:e=>N.has(e.id)?`fresh`:void 0,empty:`No job matches these filters.`,columns:[{key:`type`,header:`Job`,render:e=>(0,v.jsxs)(l,{to:`/jobs/${e.id}`,children:[e.jobType,e.name?` · ${e.name}`:``]})},{key:`status`,header:`Status`,render:e=>(0,v.jsx)(p,{status:e.status})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`attempts`,header:`Attempts`,className:`num`,render:e=>e.maxAttempts?`${e.attempts} / ${e.maxAttempts}`:e.attempts},{key:`created`,header:`Created`,render:e=>(0,v.jsx)(f,{value:e.createdAt,relative:!0})},{key:`took`,header:`Run time`,render:e=>e.startedAt?(0,v.jsx)(m,{start:e.startedAt,end:e.finishedAt}):(0,v.jsx)(`span`,{className:`muted`,children:`—`})},{key:`workflow`,header:`Workflow`,render:e=>e.workflowId?(0,v.jsx)(l,{to:`/workflows/${e.workflowId}`,children:`open`}):(0,v.jsx)(`span`,{className:`muted`,children:`—`})}]}),(0,v.jsx)(F,{pageInfo:y?.jobs.pageInfo,after:a.after,onPage:e=>W({...a,after:e}),total:w?.jobs.totalCount,shown:A.length})]})}export{B as default};