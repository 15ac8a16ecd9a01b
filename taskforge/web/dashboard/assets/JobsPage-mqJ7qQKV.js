import{_ as e,c as t,d as n,i as r,m as i,n as a,p as o,t as s,u as c,v as l}from"./index-RKJ-EQI7.js";import{t as u}from"./DataTable-B_QY6Hfw.js";import{t as d}from"./queries-BVfCZVzE.js";import{c as f,l as p}from"./format-D2JSYuwx.js";import{t as m}from"./Pager-CIa07eSS.js";import{n as h,t as g}from"./Time-BqWjxnkM.js";import{a as _,i as v,n as y,t as b}from"./live-Ck5MMNZ6.js";var x=l(e(),1),S=r(),C=t(`
  mutation EnqueueJob($input: EnqueueJobInput!) {
    enqueueJob(input: $input) { id status jobType }
  }
`);function w(e){if(!e.trim())return{value:{}};try{let t=JSON.parse(e);return typeof t!=`object`||!t||Array.isArray(t)?{error:`The payload must be a JSON object, like {"to": "ada@example.com"}.`}:{value:t}}catch(e){return{error:`The payload is not valid JSON: ${e.message}`}}}function T({defaultQueueId:e,onClose:t}){let[{data:r}]=n({query:d}),[{fetching:i,error:a},l]=c(C),[u,f]=(0,x.useState)(e??``),[p,m]=(0,x.useState)(``),[h,g]=(0,x.useState)(`{}`),[_,v]=(0,x.useState)(5),[y,b]=(0,x.useState)(null),[T,E]=(0,x.useState)(null),D=r?.queues.edges.map(e=>e.node)??[],O=u||D[0]?.id||``;async function k(e){e.preventDefault(),E(null);let t=w(h);if(`error`in t){b(t.error);return}b(null);let n=await l({input:{queueId:O,jobType:p.trim(),payload:t.value,priority:_}});n.data&&E(n.data.enqueueJob)}return(0,S.jsxs)(`form`,{className:`card form enqueue`,onSubmit:k,"aria-labelledby":`enqueue-title`,children:[(0,S.jsx)(`h2`,{id:`enqueue-title`,children:`Enqueue a job`}),(0,S.jsxs)(`div`,{className:`filters`,children:[(0,S.jsxs)(`label`,{children:[`Queue`,(0,S.jsx)(`select`,{value:O,onChange:e=>f(e.target.value),required:!0,children:D.map(e=>(0,S.jsxs)(`option`,{value:e.id,children:[e.name,e.isPaused?` (paused)`:``]},e.id))})]}),(0,S.jsxs)(`label`,{children:[`Job type`,(0,S.jsx)(`input`,{value:p,onChange:e=>m(e.target.value),required:!0,placeholder:`send_email`})]}),(0,S.jsxs)(`label`,{children:[`Priority`,(0,S.jsx)(`input`,{type:`number`,min:0,max:9,value:_,onChange:e=>v(Number(e.target.value))})]})]}),(0,S.jsxs)(`label`,{children:[`Payload (JSON)`,(0,S.jsx)(`textarea`,{value:h,onChange:e=>g(e.target.value),spellCheck:!1,rows:5})]}),(0,S.jsx)(s,{error:y??a}),T&&(0,S.jsxs)(`p`,{role:`status`,children:[`Enqueued `,(0,S.jsx)(o,{to:`/jobs/${T.id}`,children:T.jobType}),`.`]}),(0,S.jsxs)(`div`,{className:`actions-row`,children:[(0,S.jsx)(`button`,{type:`submit`,className:`primary`,disabled:i||!O,children:i?`Enqueueing…`:`Enqueue`}),t&&(0,S.jsx)(`button`,{type:`button`,onClick:t,children:`Close`})]})]})}var E=[`PENDING`,`SCHEDULED`,`PROCESSING`,`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`],D={queueId:null,statuses:[],jobType:null,workflowId:null,createdAfter:null,createdBefore:null,after:null},O={queueId:`queue`,jobType:`type`,workflowId:`workflow`,createdAfter:`from`,createdBefore:`to`,after:`after`};function k(e){if(!e)return null;let t=new Date(e);return Number.isNaN(t.getTime())?null:t.toISOString()}function A(e){let t=t=>e.get(t)?.trim()||null,n=(e.get(`status`)??``).split(`,`).map(e=>e.trim().toUpperCase()).filter(e=>E.includes(e));return{queueId:t(O.queueId),statuses:E.filter(e=>n.includes(e)),jobType:t(O.jobType),workflowId:t(O.workflowId),createdAfter:k(t(O.createdAfter)),createdBefore:k(t(O.createdBefore)),after:t(O.after)}}function j(e){let t=new URLSearchParams;return e.queueId&&t.set(O.queueId,e.queueId),e.statuses.length&&t.set(`status`,e.statuses.join(`,`)),e.jobType&&t.set(O.jobType,e.jobType),e.workflowId&&t.set(O.workflowId,e.workflowId),e.createdAfter&&t.set(O.createdAfter,e.createdAfter),e.createdBefore&&t.set(O.createdBefore,e.createdBefore),e.after&&t.set(O.after,e.after),t}function M(e,t){return{first:t,after:e.after,queueId:e.queueId,status:e.statuses.length?e.statuses:null,jobType:e.jobType,workflowId:e.workflowId,createdAfter:e.createdAfter,createdBefore:e.createdBefore}}function N(e){return{queueId:e.queueId,workflowId:e.workflowId}}function P(e,t){if(t.queueId&&e.queueId!==t.queueId||t.workflowId&&e.workflowId!==t.workflowId||t.jobType&&e.jobType!==t.jobType||t.statuses.length&&!t.statuses.includes(e.status))return!1;let n=new Date(e.createdAt).getTime();return!(t.createdAfter&&n<new Date(t.createdAfter).getTime()||t.createdBefore&&n>=new Date(t.createdBefore).getTime())}function F(e,t,n,r){let i=e.findIndex(e=>e.id===t.jobId);if(i>=0){let r=e[i],a=t.job===null?null:t.job??{...r,status:t.status,progress:t.progress??r.progress},o=e.slice();return a===null||!P(a,n)?o.splice(i,1):o[i]=a,o}return t.previousStatus!=null||n.after!==null||!t.job||!P(t.job,n)?e:[t.job,...e].slice(0,r)}function I(e,t,n){let r=t.job??e;if(!r)return null;let i=e=>e!=null&&P({...r,status:e},n);return t.job===null?i(t.status)?-1:0:Number(i(t.status))-Number(i(t.previousStatus))}function L(e,t){let n=new Set(t.filter(t=>e.has(t.id)).map(e=>e.id));return n.size===e.size?e:n}function R(e){if(!e)return``;let t=new Date(e);return Number.isNaN(t.getTime())?``:new Date(t.getTime()-t.getTimezoneOffset()*6e4).toISOString().slice(0,16)}function z(e){return e?k(e):null}function B({value:e,onApply:t}){let[{data:r}]=n({query:d}),[i,a]=(0,x.useState)(e);(0,x.useEffect)(()=>a(e),[e]);let o=e=>a(t=>({...t,...e}));function s(e){e.preventDefault(),t({...i,jobType:i.jobType?.trim()||null,workflowId:i.workflowId?.trim()||null,after:null})}return(0,S.jsxs)(`form`,{className:`filters card`,onSubmit:s,"aria-label":`Filter jobs`,children:[(0,S.jsxs)(`label`,{children:[`Queue`,(0,S.jsxs)(`select`,{value:i.queueId??``,onChange:e=>o({queueId:e.target.value||null}),children:[(0,S.jsx)(`option`,{value:``,children:`All queues`}),r?.queues.edges.map(({node:e})=>(0,S.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),(0,S.jsxs)(`fieldset`,{children:[(0,S.jsx)(`legend`,{children:`Status`}),(0,S.jsx)(`div`,{className:`checks`,children:E.map(e=>(0,S.jsxs)(`label`,{children:[(0,S.jsx)(`input`,{type:`checkbox`,checked:i.statuses.includes(e),onChange:t=>o({statuses:E.filter(n=>n===e?t.target.checked:i.statuses.includes(n))})}),p(e)]},e))})]}),(0,S.jsxs)(`label`,{children:[`Type`,(0,S.jsx)(`input`,{value:i.jobType??``,onChange:e=>o({jobType:e.target.value}),placeholder:`any`})]}),(0,S.jsxs)(`label`,{children:[`Workflow id`,(0,S.jsx)(`input`,{value:i.workflowId??``,onChange:e=>o({workflowId:e.target.value}),placeholder:`any`})]}),(0,S.jsxs)(`label`,{children:[`Created from`,(0,S.jsx)(`input`,{type:`datetime-local`,value:R(i.createdAfter),onChange:e=>o({createdAfter:z(e.target.value)})})]}),(0,S.jsxs)(`label`,{children:[`Created before`,(0,S.jsx)(`input`,{type:`datetime-local`,value:R(i.createdBefore),onChange:e=>o({createdBefore:z(e.target.value)})})]}),(0,S.jsxs)(`div`,{className:`actions-row`,children:[(0,S.jsx)(`button`,{type:`submit`,className:`primary`,children:`Apply`}),(0,S.jsx)(`button`,{type:`button`,onClick:()=>t(D),children:`Clear`})]})]})}var V=50,H=2e3,U=t(`
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
`),W=t(`
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
`),G=t(`
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
`);function K(){let[e,t]=i(),r=(0,x.useMemo)(()=>A(e),[e]),c=(0,x.useMemo)(()=>M(r,V),[r]),{first:l,after:d,...p}=c,[{data:C,error:w,fetching:E},D]=n({query:U,variables:c}),[{data:O},k]=n({query:W,variables:p}),[P,R]=b(O,O?.jobs.totalCount),[z,K]=(0,x.useState)([]),q=(0,x.useRef)(z);q.current=z;let[J,Y]=(0,x.useState)(new Set),[X,Z]=(0,x.useState)(!1);y(5e3),(0,x.useEffect)(()=>{K(C?.jobs.edges.map(e=>e.node)??[]),Y(new Set)},[C]);let Q=(0,x.useCallback)(()=>{D({requestPolicy:`network-only`}),k({requestPolicy:`network-only`})},[D,k]),ee=_(()=>k({requestPolicy:`network-only`}),H);v({query:G,variables:N(r),cursorOf:e=>e.jobStatusChanged.eventId,onEvent:({jobStatusChanged:e})=>{let t=I(q.current.find(t=>t.id===e.jobId),e,r);t===null?ee():R(t),K(t=>{let n=F(t,e,r,V);if(n!==t){let t=e.previousStatus==null&&n[0]?.id===e.jobId;Y(r=>L(t?new Set(r).add(e.jobId):r,n))}return n})},onResync:Q});let $=e=>t(j(e));return(0,S.jsxs)(S.Fragment,{children:[(0,S.jsx)(a,{title:`Jobs`,children:(0,S.jsx)(`button`,{type:`button`,className:`primary`,onClick:()=>Z(e=>!e),"aria-expanded":X,children:`Enqueue job`})}),X&&(0,S.jsx)(T,{defaultQueueId:r.queueId,onClose:()=>Z(!1)}),(0,S.jsx)(B,{value:r,onApply:$}),(0,S.jsx)(s,{error:w}),!C&&E?(0,S.jsx)(`p`,{className:`muted`,children:`Loading…`}):(0,S.jsx)(u,{caption:`Jobs, newest first`,rows:z,rowKey:e=>e.id,rowClassName:e=>J.has(e.id)?`fresh`:void 0,empty:`No job matches these filters.`,columns:[{key:`type`,header:`Job`,render:e=>(0,S.jsxs)(o,{to:`/jobs/${e.id}`,children:[e.jobType,e.name?` · ${e.name}`:``]})},{key:`status`,header:`Status`,render:e=>(0,S.jsx)(f,{status:e.status})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`attempts`,header:`Attempts`,className:`num`,render:e=>e.maxAttempts?`${e.attempts} / ${e.maxAttempts}`:e.attempts},{key:`created`,header:`Created`,render:e=>(0,S.jsx)(h,{value:e.createdAt,relative:!0})},{key:`took`,header:`Run time`,render:e=>e.startedAt?(0,S.jsx)(g,{start:e.startedAt,end:e.finishedAt}):(0,S.jsx)(`span`,{className:`muted`,children:`—`})},{key:`workflow`,header:`Workflow`,render:e=>e.workflowId?(0,S.jsx)(o,{to:`/workflows/${e.workflowId}`,children:`open`}):(0,S.jsx)(`span`,{className:`muted`,children:`—`})}]}),(0,S.jsx)(m,{pageInfo:C?.jobs.pageInfo,after:r.after,onPage:e=>$({...r,after:e}),total:P,shown:z.length})]})}export{K as default};