import{c as e,d as t,f as n,g as r,h as i,i as a,l as o,n as s,o as c,t as l}from"./index-C1cPpR85.js";import{t as u}from"./DataTable-BJ-4nU56.js";import{t as d}from"./queries-BWwY_EZm.js";import{c as f,l as p}from"./format-DUqj3pWW.js";import{t as m}from"./Pager-D7VXZgMH.js";import{n as h,t as g}from"./Time-DHMX9iGA.js";import{r as _,t as v}from"./live-ChpGrkw-.js";var y=r(i(),1),b=a(),x=c(`
  mutation EnqueueJob($input: EnqueueJobInput!) {
    enqueueJob(input: $input) { id status jobType }
  }
`);function S(e){if(!e.trim())return{value:{}};try{let t=JSON.parse(e);return typeof t!=`object`||!t||Array.isArray(t)?{error:`The payload must be a JSON object, like {"to": "ada@example.com"}.`}:{value:t}}catch(e){return{error:`The payload is not valid JSON: ${e.message}`}}}function C({defaultQueueId:n,onClose:r}){let[{data:i}]=o({query:d}),[{fetching:a,error:s},c]=e(x),[u,f]=(0,y.useState)(n??``),[p,m]=(0,y.useState)(``),[h,g]=(0,y.useState)(`{}`),[_,v]=(0,y.useState)(5),[C,w]=(0,y.useState)(null),[T,E]=(0,y.useState)(null),D=i?.queues.edges.map(e=>e.node)??[],O=u||D[0]?.id||``;async function k(e){e.preventDefault(),E(null);let t=S(h);if(`error`in t){w(t.error);return}w(null);let n=await c({input:{queueId:O,jobType:p.trim(),payload:t.value,priority:_}});n.data&&E(n.data.enqueueJob)}return(0,b.jsxs)(`form`,{className:`card form enqueue`,onSubmit:k,"aria-labelledby":`enqueue-title`,children:[(0,b.jsx)(`h2`,{id:`enqueue-title`,children:`Enqueue a job`}),(0,b.jsxs)(`div`,{className:`filters`,children:[(0,b.jsxs)(`label`,{children:[`Queue`,(0,b.jsx)(`select`,{value:O,onChange:e=>f(e.target.value),required:!0,children:D.map(e=>(0,b.jsxs)(`option`,{value:e.id,children:[e.name,e.isPaused?` (paused)`:``]},e.id))})]}),(0,b.jsxs)(`label`,{children:[`Job type`,(0,b.jsx)(`input`,{value:p,onChange:e=>m(e.target.value),required:!0,placeholder:`send_email`})]}),(0,b.jsxs)(`label`,{children:[`Priority`,(0,b.jsx)(`input`,{type:`number`,min:0,max:9,value:_,onChange:e=>v(Number(e.target.value))})]})]}),(0,b.jsxs)(`label`,{children:[`Payload (JSON)`,(0,b.jsx)(`textarea`,{value:h,onChange:e=>g(e.target.value),spellCheck:!1,rows:5})]}),(0,b.jsx)(l,{error:C??s}),T&&(0,b.jsxs)(`p`,{role:`status`,children:[`Enqueued `,(0,b.jsx)(t,{to:`/jobs/${T.id}`,children:T.jobType}),`.`]}),(0,b.jsxs)(`div`,{className:`actions-row`,children:[(0,b.jsx)(`button`,{type:`submit`,className:`primary`,disabled:a||!O,children:a?`Enqueueing…`:`Enqueue`}),r&&(0,b.jsx)(`button`,{type:`button`,onClick:r,children:`Close`})]})]})}var w=[`PENDING`,`SCHEDULED`,`PROCESSING`,`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`],T={queueId:null,statuses:[],jobType:null,workflowId:null,createdAfter:null,createdBefore:null,after:null},E={queueId:`queue`,jobType:`type`,workflowId:`workflow`,createdAfter:`from`,createdBefore:`to`,after:`after`};function D(e){if(!e)return null;let t=new Date(e);return Number.isNaN(t.getTime())?null:t.toISOString()}function O(e){let t=t=>e.get(t)?.trim()||null,n=(e.get(`status`)??``).split(`,`).map(e=>e.trim().toUpperCase()).filter(e=>w.includes(e));return{queueId:t(E.queueId),statuses:w.filter(e=>n.includes(e)),jobType:t(E.jobType),workflowId:t(E.workflowId),createdAfter:D(t(E.createdAfter)),createdBefore:D(t(E.createdBefore)),after:t(E.after)}}function k(e){let t=new URLSearchParams;return e.queueId&&t.set(E.queueId,e.queueId),e.statuses.length&&t.set(`status`,e.statuses.join(`,`)),e.jobType&&t.set(E.jobType,e.jobType),e.workflowId&&t.set(E.workflowId,e.workflowId),e.createdAfter&&t.set(E.createdAfter,e.createdAfter),e.createdBefore&&t.set(E.createdBefore,e.createdBefore),e.after&&t.set(E.after,e.after),t}function A(e,t){return{first:t,after:e.after,queueId:e.queueId,status:e.statuses.length?e.statuses:null,jobType:e.jobType,workflowId:e.workflowId,createdAfter:e.createdAfter,createdBefore:e.createdBefore}}function j(e){return{queueId:e.queueId,workflowId:e.workflowId}}function M(e,t){if(t.queueId&&e.queueId!==t.queueId||t.workflowId&&e.workflowId!==t.workflowId||t.jobType&&e.jobType!==t.jobType||t.statuses.length&&!t.statuses.includes(e.status))return!1;let n=new Date(e.createdAt).getTime();return!(t.createdAfter&&n<new Date(t.createdAfter).getTime()||t.createdBefore&&n>=new Date(t.createdBefore).getTime())}function N(e,t,n,r){let i=e.findIndex(e=>e.id===t.jobId);if(i>=0){let r=e[i],a=t.job===null?null:t.job??{...r,status:t.status,progress:t.progress??r.progress},o=e.slice();return a===null||!M(a,n)?o.splice(i,1):o[i]=a,o}return t.previousStatus!=null||n.after!==null||!t.job||!M(t.job,n)?e:[t.job,...e].slice(0,r)}function P(e,t){let n=new Set(t.filter(t=>e.has(t.id)).map(e=>e.id));return n.size===e.size?e:n}function F(e){if(!e)return``;let t=new Date(e);return Number.isNaN(t.getTime())?``:new Date(t.getTime()-t.getTimezoneOffset()*6e4).toISOString().slice(0,16)}function I(e){return e?D(e):null}function L({value:e,onApply:t}){let[{data:n}]=o({query:d}),[r,i]=(0,y.useState)(e);(0,y.useEffect)(()=>i(e),[e]);let a=e=>i(t=>({...t,...e}));function s(e){e.preventDefault(),t({...r,jobType:r.jobType?.trim()||null,workflowId:r.workflowId?.trim()||null,after:null})}return(0,b.jsxs)(`form`,{className:`filters card`,onSubmit:s,"aria-label":`Filter jobs`,children:[(0,b.jsxs)(`label`,{children:[`Queue`,(0,b.jsxs)(`select`,{value:r.queueId??``,onChange:e=>a({queueId:e.target.value||null}),children:[(0,b.jsx)(`option`,{value:``,children:`All queues`}),n?.queues.edges.map(({node:e})=>(0,b.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),(0,b.jsxs)(`fieldset`,{children:[(0,b.jsx)(`legend`,{children:`Status`}),(0,b.jsx)(`div`,{className:`checks`,children:w.map(e=>(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`input`,{type:`checkbox`,checked:r.statuses.includes(e),onChange:t=>a({statuses:w.filter(n=>n===e?t.target.checked:r.statuses.includes(n))})}),p(e)]},e))})]}),(0,b.jsxs)(`label`,{children:[`Type`,(0,b.jsx)(`input`,{value:r.jobType??``,onChange:e=>a({jobType:e.target.value}),placeholder:`any`})]}),(0,b.jsxs)(`label`,{children:[`Workflow id`,(0,b.jsx)(`input`,{value:r.workflowId??``,onChange:e=>a({workflowId:e.target.value}),placeholder:`any`})]}),(0,b.jsxs)(`label`,{children:[`Created from`,(0,b.jsx)(`input`,{type:`datetime-local`,value:F(r.createdAfter),onChange:e=>a({createdAfter:I(e.target.value)})})]}),(0,b.jsxs)(`label`,{children:[`Created before`,(0,b.jsx)(`input`,{type:`datetime-local`,value:F(r.createdBefore),onChange:e=>a({createdBefore:I(e.target.value)})})]}),(0,b.jsxs)(`div`,{className:`actions-row`,children:[(0,b.jsx)(`button`,{type:`submit`,className:`primary`,children:`Apply`}),(0,b.jsx)(`button`,{type:`button`,onClick:()=>t(T),children:`Clear`})]})]})}var R=50,z=c(`
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
`),B=c(`
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
`),V=c(`
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
`);function H(){let[e,r]=n(),i=(0,y.useMemo)(()=>O(e),[e]),a=(0,y.useMemo)(()=>A(i,R),[i]),{first:c,after:d,...p}=a,[{data:x,error:S,fetching:w},T]=o({query:z,variables:a}),[{data:E},D]=o({query:B,variables:p}),[M,F]=(0,y.useState)([]),[I,H]=(0,y.useState)(new Set),[U,W]=(0,y.useState)(!1);v(5e3),(0,y.useEffect)(()=>{F(x?.jobs.edges.map(e=>e.node)??[]),H(new Set)},[x]);let G=(0,y.useCallback)(()=>{T({requestPolicy:`network-only`}),D({requestPolicy:`network-only`})},[T,D]);_({query:V,variables:j(i),cursorOf:e=>e.jobStatusChanged.eventId,onEvent:({jobStatusChanged:e})=>{F(t=>{let n=N(t,e,i,R);if(n!==t){let t=e.previousStatus==null&&n[0]?.id===e.jobId;H(r=>P(t?new Set(r).add(e.jobId):r,n))}return n})},onResync:G});let K=e=>r(k(e));return(0,b.jsxs)(b.Fragment,{children:[(0,b.jsx)(s,{title:`Jobs`,children:(0,b.jsx)(`button`,{type:`button`,className:`primary`,onClick:()=>W(e=>!e),"aria-expanded":U,children:`Enqueue job`})}),U&&(0,b.jsx)(C,{defaultQueueId:i.queueId,onClose:()=>W(!1)}),(0,b.jsx)(L,{value:i,onApply:K}),(0,b.jsx)(l,{error:S}),!x&&w?(0,b.jsx)(`p`,{className:`muted`,children:`Loading…`}):(0,b.jsx)(u,{caption:`Jobs, newest first`,rows:M,rowKey:e=>e.id,rowClassName:e=>I.has(e.id)?`fresh`:void 0,empty:`No job matches these filters.`,columns:[{key:`type`,header:`Job`,render:e=>(0,b.jsxs)(t,{to:`/jobs/${e.id}`,children:[e.jobType,e.name?` · ${e.name}`:``]})},{key:`status`,header:`Status`,render:e=>(0,b.jsx)(f,{status:e.status})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`attempts`,header:`Attempts`,className:`num`,render:e=>e.maxAttempts?`${e.attempts} / ${e.maxAttempts}`:e.attempts},{key:`created`,header:`Created`,render:e=>(0,b.jsx)(h,{value:e.createdAt,relative:!0})},{key:`took`,header:`Run time`,render:e=>e.startedAt?(0,b.jsx)(g,{start:e.startedAt,end:e.finishedAt}):(0,b.jsx)(`span`,{className:`muted`,children:`—`})},{key:`workflow`,header:`Workflow`,render:e=>e.workflowId?(0,b.jsx)(t,{to:`/workflows/${e.workflowId}`,children:`open`}):(0,b.jsx)(`span`,{className:`muted`,children:`—`})}]}),(0,b.jsx)(m,{pageInfo:x?.jobs.pageInfo,after:i.after,onPage:e=>K({...i,after:e}),total:E?.jobs.totalCount,shown:M.length})]})}export{H as default};