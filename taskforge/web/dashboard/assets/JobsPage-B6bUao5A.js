import{c as e,d as t,i as n,m as r,n as i,o as a,p as o,s,t as c,u as l}from"./index-BAfJPOHS.js";import{d as u,i as d,l as f,n as p,p as m,r as h,t as g}from"./Time-CzQ1vUjX.js";var _=r(o(),1),v=a(`
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
`);var y=n(),b=a(`
  mutation EnqueueJob($input: EnqueueJobInput!) {
    enqueueJob(input: $input) { id status jobType }
  }
`);function x(e){if(!e.trim())return{value:{}};try{let t=JSON.parse(e);return typeof t!=`object`||!t||Array.isArray(t)?{error:`The payload must be a JSON object, like {"to": "ada@example.com"}.`}:{value:t}}catch(e){return{error:`The payload is not valid JSON: ${e.message}`}}}function S({defaultQueueId:t,onClose:n}){let[{data:r}]=e({query:v}),[{fetching:a,error:o},c]=s(b),[u,d]=(0,_.useState)(t??``),[f,p]=(0,_.useState)(``),[m,h]=(0,_.useState)(`{}`),[g,S]=(0,_.useState)(5),[C,w]=(0,_.useState)(null),[T,E]=(0,_.useState)(null),D=r?.queues.edges.map(e=>e.node)??[],O=u||D[0]?.id||``;async function k(e){e.preventDefault(),E(null);let t=x(m);if(`error`in t){w(t.error);return}w(null);let n=await c({input:{queueId:O,jobType:f.trim(),payload:t.value,priority:g}});n.data&&E(n.data.enqueueJob)}return(0,y.jsxs)(`form`,{className:`card form enqueue`,onSubmit:k,"aria-labelledby":`enqueue-title`,children:[(0,y.jsx)(`h2`,{id:`enqueue-title`,children:`Enqueue a job`}),(0,y.jsxs)(`div`,{className:`filters`,children:[(0,y.jsxs)(`label`,{children:[`Queue`,(0,y.jsx)(`select`,{value:O,onChange:e=>d(e.target.value),required:!0,children:D.map(e=>(0,y.jsxs)(`option`,{value:e.id,children:[e.name,e.isPaused?` (paused)`:``]},e.id))})]}),(0,y.jsxs)(`label`,{children:[`Job type`,(0,y.jsx)(`input`,{value:f,onChange:e=>p(e.target.value),required:!0,placeholder:`send_email`})]}),(0,y.jsxs)(`label`,{children:[`Priority`,(0,y.jsx)(`input`,{type:`number`,min:0,max:9,value:g,onChange:e=>S(Number(e.target.value))})]})]}),(0,y.jsxs)(`label`,{children:[`Payload (JSON)`,(0,y.jsx)(`textarea`,{value:m,onChange:e=>h(e.target.value),spellCheck:!1,rows:5})]}),(0,y.jsx)(i,{error:C??o}),T&&(0,y.jsxs)(`p`,{role:`status`,children:[`Enqueued `,(0,y.jsx)(l,{to:`/jobs/${T.id}`,children:T.jobType}),`.`]}),(0,y.jsxs)(`div`,{className:`actions-row`,children:[(0,y.jsx)(`button`,{type:`submit`,className:`primary`,disabled:a||!O,children:a?`Enqueueing…`:`Enqueue`}),n&&(0,y.jsx)(`button`,{type:`button`,onClick:n,children:`Close`})]})]})}var C=[`PENDING`,`SCHEDULED`,`PROCESSING`,`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`],w={queueId:null,statuses:[],jobType:null,workflowId:null,createdAfter:null,createdBefore:null,after:null},T={queueId:`queue`,jobType:`type`,workflowId:`workflow`,createdAfter:`from`,createdBefore:`to`,after:`after`};function E(e){if(!e)return null;let t=new Date(e);return Number.isNaN(t.getTime())?null:t.toISOString()}function D(e){let t=t=>e.get(t)?.trim()||null,n=(e.get(`status`)??``).split(`,`).map(e=>e.trim().toUpperCase()).filter(e=>C.includes(e));return{queueId:t(T.queueId),statuses:C.filter(e=>n.includes(e)),jobType:t(T.jobType),workflowId:t(T.workflowId),createdAfter:E(t(T.createdAfter)),createdBefore:E(t(T.createdBefore)),after:t(T.after)}}function O(e){let t=new URLSearchParams;return e.queueId&&t.set(T.queueId,e.queueId),e.statuses.length&&t.set(`status`,e.statuses.join(`,`)),e.jobType&&t.set(T.jobType,e.jobType),e.workflowId&&t.set(T.workflowId,e.workflowId),e.createdAfter&&t.set(T.createdAfter,e.createdAfter),e.createdBefore&&t.set(T.createdBefore,e.createdBefore),e.after&&t.set(T.after,e.after),t}function k(e,t){return{first:t,after:e.after,queueId:e.queueId,status:e.statuses.length?e.statuses:null,jobType:e.jobType,workflowId:e.workflowId,createdAfter:e.createdAfter,createdBefore:e.createdBefore}}function A(e){return{queueId:e.queueId,workflowId:e.workflowId}}function j(e,t){if(t.queueId&&e.queueId!==t.queueId||t.workflowId&&e.workflowId!==t.workflowId||t.jobType&&e.jobType!==t.jobType||t.statuses.length&&!t.statuses.includes(e.status))return!1;let n=new Date(e.createdAt).getTime();return!(t.createdAfter&&n<new Date(t.createdAfter).getTime()||t.createdBefore&&n>=new Date(t.createdBefore).getTime())}function M(e,t,n,r){let i=e.findIndex(e=>e.id===t.jobId);if(i>=0){let n=e[i],r=t.job===null?null:t.job??{...n,status:t.status,progress:t.progress??n.progress},a=e.slice();return r===null?a.splice(i,1):a[i]=r,a}return t.previousStatus!=null||n.after!==null||!t.job||!j(t.job,n)?e:[t.job,...e].slice(0,r)}function N(e){if(!e)return``;let t=new Date(e);return Number.isNaN(t.getTime())?``:new Date(t.getTime()-t.getTimezoneOffset()*6e4).toISOString().slice(0,16)}function P(e){return e?E(e):null}function F({value:t,onApply:n}){let[{data:r}]=e({query:v}),[i,a]=(0,_.useState)(t);(0,_.useEffect)(()=>a(t),[t]);let o=e=>a(t=>({...t,...e}));function s(e){e.preventDefault(),n({...i,jobType:i.jobType?.trim()||null,workflowId:i.workflowId?.trim()||null,after:null})}return(0,y.jsxs)(`form`,{className:`filters card`,onSubmit:s,"aria-label":`Filter jobs`,children:[(0,y.jsxs)(`label`,{children:[`Queue`,(0,y.jsxs)(`select`,{value:i.queueId??``,onChange:e=>o({queueId:e.target.value||null}),children:[(0,y.jsx)(`option`,{value:``,children:`All queues`}),r?.queues.edges.map(({node:e})=>(0,y.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),(0,y.jsxs)(`fieldset`,{children:[(0,y.jsx)(`legend`,{children:`Status`}),(0,y.jsx)(`div`,{className:`checks`,children:C.map(e=>(0,y.jsxs)(`label`,{children:[(0,y.jsx)(`input`,{type:`checkbox`,checked:i.statuses.includes(e),onChange:t=>o({statuses:C.filter(n=>n===e?t.target.checked:i.statuses.includes(n))})}),d(e)]},e))})]}),(0,y.jsxs)(`label`,{children:[`Type`,(0,y.jsx)(`input`,{value:i.jobType??``,onChange:e=>o({jobType:e.target.value}),placeholder:`any`})]}),(0,y.jsxs)(`label`,{children:[`Workflow id`,(0,y.jsx)(`input`,{value:i.workflowId??``,onChange:e=>o({workflowId:e.target.value}),placeholder:`any`})]}),(0,y.jsxs)(`label`,{children:[`Created from`,(0,y.jsx)(`input`,{type:`datetime-local`,value:N(i.createdAfter),onChange:e=>o({createdAfter:P(e.target.value)})})]}),(0,y.jsxs)(`label`,{children:[`Created before`,(0,y.jsx)(`input`,{type:`datetime-local`,value:N(i.createdBefore),onChange:e=>o({createdBefore:P(e.target.value)})})]}),(0,y.jsxs)(`div`,{className:`actions-row`,children:[(0,y.jsx)(`button`,{type:`submit`,className:`primary`,children:`Apply`}),(0,y.jsx)(`button`,{type:`button`,onClick:()=>n(w),children:`Clear`})]})]})}function I({pageInfo:e,after:t,onPage:n,total:r,shown:i}){return(0,y.jsxs)(`nav`,{className:`pager`,"aria-label":`Pages`,children:[r!=null&&(0,y.jsxs)(`span`,{className:`muted`,children:[i==null?``:`${i.toLocaleString()} shown of `,r.toLocaleString()]}),(0,y.jsx)(`button`,{type:`button`,onClick:()=>n(null),disabled:t===null,children:`First page`}),(0,y.jsx)(`button`,{type:`button`,onClick:()=>e?.endCursor&&n(e.endCursor),disabled:!e?.hasNextPage||!e.endCursor,children:`Next page`})]})}var L=50,R=a(`
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
`),z=a(`
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
`),B=a(`
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
`);function V(){let[n,r]=t(),a=(0,_.useMemo)(()=>D(n),[n]),o=(0,_.useMemo)(()=>k(a,L),[a]),{first:s,after:d,...v}=o,[{data:b,error:x,fetching:C},w]=e({query:R,variables:o}),[{data:T},E]=e({query:z,variables:v}),[j,N]=(0,_.useState)([]),[P,V]=(0,_.useState)(new Set),[H,U]=(0,_.useState)(!1);f(5e3),(0,_.useEffect)(()=>{N(b?.jobs.edges.map(e=>e.node)??[]),V(new Set)},[b]);let W=(0,_.useCallback)(()=>{w({requestPolicy:`network-only`}),E({requestPolicy:`network-only`})},[w,E]);u({query:B,variables:A(a),cursorOf:e=>e.jobStatusChanged.eventId,onEvent:({jobStatusChanged:e})=>{N(t=>{let n=M(t,e,a,L);return n!==t&&e.previousStatus==null&&n[0]?.id===e.jobId&&V(t=>new Set(t).add(e.jobId)),n})},onResync:W});let G=e=>r(O(e));return(0,y.jsxs)(y.Fragment,{children:[(0,y.jsx)(c,{title:`Jobs`,children:(0,y.jsx)(`button`,{type:`button`,className:`primary`,onClick:()=>U(e=>!e),"aria-expanded":H,children:`Enqueue job`})}),H&&(0,y.jsx)(S,{defaultQueueId:a.queueId,onClose:()=>U(!1)}),(0,y.jsx)(F,{value:a,onApply:G}),(0,y.jsx)(i,{error:x}),!b&&C?(0,y.jsx)(`p`,{className:`muted`,children:`Loading…`}):(0,y.jsx)(m,{caption:`Jobs, newest first`,rows:j,rowKey:e=>e.id,rowClassName:e=>P.has(e.id)?`fresh`:void 0,empty:`No job matches these filters.`,columns:[{key:`type`,header:`Job`,render:e=>(0,y.jsxs)(l,{to:`/jobs/${e.id}`,children:[e.jobType,e.name?` · ${e.name}`:``]})},{key:`status`,header:`Status`,render:e=>(0,y.jsx)(h,{status:e.status})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`attempts`,header:`Attempts`,className:`num`,render:e=>e.maxAttempts?`${e.attempts} / ${e.maxAttempts}`:e.attempts},{key:`created`,header:`Created`,render:e=>(0,y.jsx)(p,{value:e.createdAt,relative:!0})},{key:`took`,header:`Run time`,render:e=>e.startedAt?(0,y.jsx)(g,{start:e.startedAt,end:e.finishedAt}):(0,y.jsx)(`span`,{className:`muted`,children:`—`})},{key:`workflow`,header:`Workflow`,render:e=>e.workflowId?(0,y.jsx)(l,{to:`/workflows/${e.workflowId}`,children:`open`}):(0,y.jsx)(`span`,{className:`muted`,children:`—`})}]}),(0,y.jsx)(I,{pageInfo:b?.jobs.pageInfo,after:a.after,onPage:e=>G({...a,after:e}),total:T?.jobs.totalCount,shown:j.length})]})}export{V as default};