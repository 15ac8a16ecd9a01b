import{_ as e,c as t,d as n,i as r,l as i,m as a,n as o,p as s,t as c,u as l,v as u}from"./index-Bf2RnzIa.js";import{t as d}from"./DataTable-CECJ4b5h.js";import{t as f}from"./queries-Dl1MZiRi.js";import{c as p,l as m}from"./format-B6vqKNFU.js";import{t as h}from"./Pager-Dhyj9djV.js";import{n as g,t as _}from"./Time-_tV4ELzm.js";import{a as v,i as y,n as b,t as x}from"./live-CrB7c_dL.js";var S=u(e(),1),C=r(),w=t(`
  mutation EnqueueJob($input: EnqueueJobInput!) {
    enqueueJob(input: $input) { id status jobType }
  }
`);function T(e){if(!e.trim())return{value:{}};try{let t=JSON.parse(e);return typeof t!=`object`||!t||Array.isArray(t)?{error:`The payload must be a JSON object, like {"to": "ada@example.com"}.`}:{value:t}}catch(e){return{error:`The payload is not valid JSON: ${e.message}`}}}function E({defaultQueueId:e,onClose:t}){let[{data:r}]=n({query:f}),[{fetching:i,error:a},o]=l(w),[u,d]=(0,S.useState)(e??``),[p,m]=(0,S.useState)(``),[h,g]=(0,S.useState)(`{}`),[_,v]=(0,S.useState)(5),[y,b]=(0,S.useState)(null),[x,E]=(0,S.useState)(null),D=r?.queues.edges.map(e=>e.node)??[],O=u||D[0]?.id||``;async function k(e){e.preventDefault(),E(null);let t=T(h);if(`error`in t){b(t.error);return}b(null);let n=await o({input:{queueId:O,jobType:p.trim(),payload:t.value,priority:_}});n.data&&E(n.data.enqueueJob)}return(0,C.jsxs)(`form`,{className:`card form enqueue`,onSubmit:k,"aria-labelledby":`enqueue-title`,children:[(0,C.jsx)(`h2`,{id:`enqueue-title`,children:`Enqueue a job`}),(0,C.jsxs)(`div`,{className:`filters`,children:[(0,C.jsxs)(`label`,{children:[`Queue`,(0,C.jsx)(`select`,{value:O,onChange:e=>d(e.target.value),required:!0,children:D.map(e=>(0,C.jsxs)(`option`,{value:e.id,children:[e.name,e.isPaused?` (paused)`:``]},e.id))})]}),(0,C.jsxs)(`label`,{children:[`Job type`,(0,C.jsx)(`input`,{value:p,onChange:e=>m(e.target.value),required:!0,placeholder:`send_email`})]}),(0,C.jsxs)(`label`,{children:[`Priority`,(0,C.jsx)(`input`,{type:`number`,min:0,max:9,value:_,onChange:e=>v(Number(e.target.value))})]})]}),(0,C.jsxs)(`label`,{children:[`Payload (JSON)`,(0,C.jsx)(`textarea`,{value:h,onChange:e=>g(e.target.value),spellCheck:!1,rows:5})]}),(0,C.jsx)(c,{error:y??a}),x&&(0,C.jsxs)(`p`,{role:`status`,children:[`Enqueued `,(0,C.jsx)(s,{to:`/jobs/${x.id}`,children:x.jobType}),`.`]}),(0,C.jsxs)(`div`,{className:`actions-row`,children:[(0,C.jsx)(`button`,{type:`submit`,className:`primary`,disabled:i||!O,children:i?`Enqueueing…`:`Enqueue`}),t&&(0,C.jsx)(`button`,{type:`button`,onClick:t,children:`Close`})]})]})}var D=[`PENDING`,`SCHEDULED`,`PROCESSING`,`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`],O={queueId:null,statuses:[],jobType:null,workflowId:null,createdAfter:null,createdBefore:null,after:null},k={queueId:`queue`,jobType:`type`,workflowId:`workflow`,createdAfter:`from`,createdBefore:`to`,after:`after`};function A(e){if(!e)return null;let t=new Date(e);return Number.isNaN(t.getTime())?null:t.toISOString()}function j(e){let t=t=>e.get(t)?.trim()||null,n=(e.get(`status`)??``).split(`,`).map(e=>e.trim().toUpperCase()).filter(e=>D.includes(e));return{queueId:t(k.queueId),statuses:D.filter(e=>n.includes(e)),jobType:t(k.jobType),workflowId:t(k.workflowId),createdAfter:A(t(k.createdAfter)),createdBefore:A(t(k.createdBefore)),after:t(k.after)}}function ee(e){let t=new URLSearchParams;return e.queueId&&t.set(k.queueId,e.queueId),e.statuses.length&&t.set(`status`,e.statuses.join(`,`)),e.jobType&&t.set(k.jobType,e.jobType),e.workflowId&&t.set(k.workflowId,e.workflowId),e.createdAfter&&t.set(k.createdAfter,e.createdAfter),e.createdBefore&&t.set(k.createdBefore,e.createdBefore),e.after&&t.set(k.after,e.after),t}function te(e,t){return{first:t,after:e.after,queueId:e.queueId,status:e.statuses.length?e.statuses:null,jobType:e.jobType,workflowId:e.workflowId,createdAfter:e.createdAfter,createdBefore:e.createdBefore}}function ne(e){return{queueId:e.queueId,workflowId:e.workflowId}}function M(e,t){if(t.queueId&&e.queueId!==t.queueId||t.workflowId&&e.workflowId!==t.workflowId||t.jobType&&e.jobType!==t.jobType||t.statuses.length&&!t.statuses.includes(e.status))return!1;let n=new Date(e.createdAt).getTime();return!(t.createdAfter&&n<new Date(t.createdAfter).getTime()||t.createdBefore&&n>=new Date(t.createdBefore).getTime())}var N=[`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`];function P(e){return e.previousStatus==null&&!e.deleted}function F(e){return{id:e.jobId,status:e.status,jobType:e.jobType,queueId:e.queueId,workflowId:e.workflowId??null,createdAt:P(e)?e.occurredAt:null}}function I(e){return e.createdAfter!==null||e.createdBefore!==null}function L(e,t){let n={...e,status:t.status,progress:t.progress??e.progress},r=e.status;return t.status===`PROCESSING`&&r!==`PROCESSING`?(n.attempts=e.attempts+1,n.startedAt=t.occurredAt,n.finishedAt=null,n.progress=null):N.includes(t.status)&&!N.includes(r)?n.finishedAt=t.occurredAt:!N.includes(t.status)&&t.status!==`PROCESSING`&&N.includes(r)&&(n.startedAt=null,n.finishedAt=null),n}function R(e,t){return!t.deleted&&N.includes(e.status)&&(t.status===`PENDING`||t.status===`SCHEDULED`)}function z(e,t,n){let r=e.findIndex(e=>e.id===t.jobId);if(r<0)return e;let i=e.slice(),a=t.deleted?null:L(e[r],t);return a===null||!M(a,n)?i.splice(r,1):i[r]=a,i}function B(e,t,n){return n.after!==null||!P(t)||e.some(e=>e.id===t.jobId)?!1:M({...F(t),createdAt:t.occurredAt},n)}function V(e,t){let n=new Date(t.createdAt).getTime()-new Date(e.createdAt).getTime();return n===0?e.id<t.id?1:e.id>t.id?-1:0:n}function H(e,t,n,r){let i=t.filter(e=>n.has(e.id));if(!i.length)return e;let a=new Map(i.map(e=>[e.id,e])),o=e.map(e=>a.get(e.id)??e),s=new Set(e.map(e=>e.id)),c=i.filter(e=>!s.has(e.id));return c.length?[...o,...c].sort(V).slice(0,r):o}function U(e,t,n){let r=F(t),i=e?.createdAt??r.createdAt;if(i===null&&I(n))return null;let a={...r,createdAt:i??t.occurredAt},o=e=>e!=null&&M({...a,status:e},n);return t.deleted?o(t.status)?-1:0:Number(o(t.status))-Number(o(t.previousStatus))}function W(e,t){let n=new Set(t.filter(t=>e.has(t.id)).map(e=>e.id));return n.size===e.size?e:n}function G(e){if(!e)return``;let t=new Date(e);return Number.isNaN(t.getTime())?``:new Date(t.getTime()-t.getTimezoneOffset()*6e4).toISOString().slice(0,16)}function K(e){return e?A(e):null}function re({value:e,onApply:t}){let[{data:r}]=n({query:f}),[i,a]=(0,S.useState)(e);(0,S.useEffect)(()=>a(e),[e]);let o=e=>a(t=>({...t,...e}));function s(e){e.preventDefault(),t({...i,jobType:i.jobType?.trim()||null,workflowId:i.workflowId?.trim()||null,after:null})}return(0,C.jsxs)(`form`,{className:`filters card`,onSubmit:s,"aria-label":`Filter jobs`,children:[(0,C.jsxs)(`label`,{children:[`Queue`,(0,C.jsxs)(`select`,{value:i.queueId??``,onChange:e=>o({queueId:e.target.value||null}),children:[(0,C.jsx)(`option`,{value:``,children:`All queues`}),r?.queues.edges.map(({node:e})=>(0,C.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),(0,C.jsxs)(`fieldset`,{children:[(0,C.jsx)(`legend`,{children:`Status`}),(0,C.jsx)(`div`,{className:`checks`,children:D.map(e=>(0,C.jsxs)(`label`,{children:[(0,C.jsx)(`input`,{type:`checkbox`,checked:i.statuses.includes(e),onChange:t=>o({statuses:D.filter(n=>n===e?t.target.checked:i.statuses.includes(n))})}),m(e)]},e))})]}),(0,C.jsxs)(`label`,{children:[`Type`,(0,C.jsx)(`input`,{value:i.jobType??``,onChange:e=>o({jobType:e.target.value}),placeholder:`any`})]}),(0,C.jsxs)(`label`,{children:[`Workflow id`,(0,C.jsx)(`input`,{value:i.workflowId??``,onChange:e=>o({workflowId:e.target.value}),placeholder:`any`})]}),(0,C.jsxs)(`label`,{children:[`Created from`,(0,C.jsx)(`input`,{type:`datetime-local`,value:G(i.createdAfter),onChange:e=>o({createdAfter:K(e.target.value)})})]}),(0,C.jsxs)(`label`,{children:[`Created before`,(0,C.jsx)(`input`,{type:`datetime-local`,value:G(i.createdBefore),onChange:e=>o({createdBefore:K(e.target.value)})})]}),(0,C.jsxs)(`div`,{className:`actions-row`,children:[(0,C.jsx)(`button`,{type:`submit`,className:`primary`,children:`Apply`}),(0,C.jsx)(`button`,{type:`button`,onClick:()=>t(O),children:`Clear`})]})]})}var q=50,ie=2e3,J=1e3,ae=t(`
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
`),oe=t(`
  query JobsRead(
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
    }
  }
`),se=t(`
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
`),ce=t(`
  subscription JobsLive($queueId: ID, $workflowId: ID, $after: ID) {
    jobStatusChanged(queueId: $queueId, workflowId: $workflowId, after: $after) {
      eventId
      jobId
      queueId
      workflowId
      jobType
      status
      previousStatus
      progress
      occurredAt
      deleted
    }
  }
`);function Y(){let[e,t]=a(),r=(0,S.useMemo)(()=>j(e),[e]),l=(0,S.useMemo)(()=>te(r,q),[r]),{first:u,after:f,...m}=l,[{data:w,error:T,fetching:D},O]=n({query:ae,variables:l}),[{data:k},A]=n({query:se,variables:m}),[M,N]=x(k,k?.jobs.totalCount),[P,F]=(0,S.useState)([]),I=(0,S.useRef)(P);I.current=P;let[L,V]=(0,S.useState)(new Set),[G,K]=(0,S.useState)(!1);b(5e3),(0,S.useEffect)(()=>{F(w?.jobs.edges.map(e=>e.node)??[]),V(new Set)},[w]);let Y=(0,S.useCallback)(()=>{O({requestPolicy:`network-only`}),A({requestPolicy:`network-only`})},[O,A]),le=v(()=>A({requestPolicy:`network-only`}),ie),ue=i(),X=(0,S.useRef)(new Set),Z=(0,S.useRef)(new Set),Q=(0,S.useRef)(l);Q.current=l;let de=v(()=>{let e=X.current,t=Z.current;if(!e.size)return;X.current=new Set,Z.current=new Set;let n=Q.current;ue.query(oe,n,{requestPolicy:`network-only`}).toPromise().then(r=>{if(!r.data||Q.current!==n)return;let i=r.data.jobs.edges.map(e=>e.node);F(n=>{let r=H(n,i,e,q);if(r!==n){let e=r.filter(e=>t.has(e.id)&&!n.some(t=>t.id===e.id));e.length&&V(t=>W(new Set([...t,...e.map(e=>e.id)]),r))}return r})})},J);(0,S.useEffect)(()=>{X.current=new Set,Z.current=new Set},[l]),y({query:ce,variables:ne(r),cursorOf:e=>e.jobStatusChanged.eventId,onEvent:({jobStatusChanged:e})=>{let t=I.current.find(t=>t.id===e.jobId),n=U(t,e,r);n===null?le():N(n),(t?R(t,e):B(I.current,e,r))&&(X.current.add(e.jobId),t||Z.current.add(e.jobId),de()),F(t=>{let n=z(t,e,r);return n!==t&&V(e=>W(e,n)),n})},onResync:Y});let $=e=>t(ee(e));return(0,C.jsxs)(C.Fragment,{children:[(0,C.jsx)(o,{title:`Jobs`,children:(0,C.jsx)(`button`,{type:`button`,className:`primary`,onClick:()=>K(e=>!e),"aria-expanded":G,children:`Enqueue job`})}),G&&(0,C.jsx)(E,{defaultQueueId:r.queueId,onClose:()=>K(!1)}),(0,C.jsx)(re,{value:r,onApply:$}),(0,C.jsx)(c,{error:T}),!w&&D?(0,C.jsx)(`p`,{className:`muted`,children:`Loading…`}):(0,C.jsx)(d,{caption:`Jobs, newest first`,rows:P,rowKey:e=>e.id,rowClassName:e=>L.has(e.id)?`fresh`:void 0,empty:`No job matches these filters.`,columns:[{key:`type`,header:`Job`,render:e=>(0,C.jsxs)(s,{to:`/jobs/${e.id}`,children:[e.jobType,e.name?` · ${e.name}`:``]})},{key:`status`,header:`Status`,render:e=>(0,C.jsx)(p,{status:e.status})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`attempts`,header:`Attempts`,className:`num`,render:e=>e.maxAttempts?`${e.attempts} / ${e.maxAttempts}`:e.attempts},{key:`created`,header:`Created`,render:e=>(0,C.jsx)(g,{value:e.createdAt,relative:!0})},{key:`took`,header:`Run time`,render:e=>e.startedAt?(0,C.jsx)(_,{start:e.startedAt,end:e.finishedAt}):(0,C.jsx)(`span`,{className:`muted`,children:`—`})},{key:`workflow`,header:`Workflow`,render:e=>e.workflowId?(0,C.jsx)(s,{to:`/workflows/${e.workflowId}`,children:`open`}):(0,C.jsx)(`span`,{className:`muted`,children:`—`})}]}),(0,C.jsx)(h,{pageInfo:w?.jobs.pageInfo,after:r.after,onPage:e=>$({...r,after:e}),total:M,shown:P.length})]})}export{J as READ_MS,Y as default};