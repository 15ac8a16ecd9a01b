import{C as e,g as t,h as n,i as r,m as i,n as a,p as o,t as s,v as c,w as l,y as u}from"./index-WSAWCI3-.js";import{t as d}from"./DataTable-CG0RmIgX.js";import{t as f}from"./queries-B1jM-298.js";import{c as p,l as m}from"./format-FrswX_mG.js";import{t as h}from"./Pager-DBXmNEig.js";import{n as g,t as _}from"./Time-DnEwfdYA.js";import{i as v,r as y,t as b}from"./live-BfHHXSLH.js";var x=l(e(),1),S=r(),C=o(`
  mutation EnqueueJob($input: EnqueueJobInput!) {
    enqueueJob(input: $input) { id status jobType }
  }
`);function w(e){if(!e.trim())return{value:{}};try{let t=JSON.parse(e);return typeof t!=`object`||!t||Array.isArray(t)?{error:`The payload must be a JSON object, like {"to": "ada@example.com"}.`}:{value:t}}catch(e){return{error:`The payload is not valid JSON: ${e.message}`}}}function T({defaultQueueId:e,onClose:r}){let[{data:i}]=t({query:f}),[{fetching:a,error:o},l]=n(C),[u,d]=(0,x.useState)(e??``),[p,m]=(0,x.useState)(``),[h,g]=(0,x.useState)(`{}`),[_,v]=(0,x.useState)(5),[y,b]=(0,x.useState)(null),[T,E]=(0,x.useState)(null),D=i?.queues.edges.map(e=>e.node)??[],O=u||D[0]?.id||``;async function k(e){e.preventDefault(),E(null);let t=w(h);if(`error`in t){b(t.error);return}b(null);let n=await l({input:{queueId:O,jobType:p.trim(),payload:t.value,priority:_}});n.data&&E(n.data.enqueueJob)}return(0,S.jsxs)(`form`,{className:`card form enqueue`,onSubmit:k,"aria-labelledby":`enqueue-title`,children:[(0,S.jsx)(`h2`,{id:`enqueue-title`,children:`Enqueue a job`}),(0,S.jsxs)(`div`,{className:`filters`,children:[(0,S.jsxs)(`label`,{children:[`Queue`,(0,S.jsx)(`select`,{value:O,onChange:e=>d(e.target.value),required:!0,children:D.map(e=>(0,S.jsxs)(`option`,{value:e.id,children:[e.name,e.isPaused?` (paused)`:``]},e.id))})]}),(0,S.jsxs)(`label`,{children:[`Job type`,(0,S.jsx)(`input`,{value:p,onChange:e=>m(e.target.value),required:!0,placeholder:`send_email`})]}),(0,S.jsxs)(`label`,{children:[`Priority`,(0,S.jsx)(`input`,{type:`number`,min:0,max:9,value:_,onChange:e=>v(Number(e.target.value))})]})]}),(0,S.jsxs)(`label`,{children:[`Payload (JSON)`,(0,S.jsx)(`textarea`,{value:h,onChange:e=>g(e.target.value),spellCheck:!1,rows:5})]}),(0,S.jsx)(s,{error:y??o}),T&&(0,S.jsxs)(`p`,{role:`status`,children:[`Enqueued `,(0,S.jsx)(c,{to:`/jobs/${T.id}`,children:T.jobType}),`.`]}),(0,S.jsxs)(`div`,{className:`actions-row`,children:[(0,S.jsx)(`button`,{type:`submit`,className:`primary`,disabled:a||!O,children:a?`Enqueueing…`:`Enqueue`}),r&&(0,S.jsx)(`button`,{type:`button`,onClick:r,children:`Close`})]})]})}var E=[`PENDING`,`SCHEDULED`,`PROCESSING`,`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`],D={queueId:null,statuses:[],jobType:null,workflowId:null,createdAfter:null,createdBefore:null,after:null},O={queueId:`queue`,jobType:`type`,workflowId:`workflow`,createdAfter:`from`,createdBefore:`to`,after:`after`};function k(e){if(!e)return null;let t=new Date(e);return Number.isNaN(t.getTime())?null:t.toISOString()}function A(e){let t=t=>e.get(t)?.trim()||null,n=(e.get(`status`)??``).split(`,`).map(e=>e.trim().toUpperCase()).filter(e=>E.includes(e));return{queueId:t(O.queueId),statuses:E.filter(e=>n.includes(e)),jobType:t(O.jobType),workflowId:t(O.workflowId),createdAfter:k(t(O.createdAfter)),createdBefore:k(t(O.createdBefore)),after:t(O.after)}}function ee(e){let t=new URLSearchParams;return e.queueId&&t.set(O.queueId,e.queueId),e.statuses.length&&t.set(`status`,e.statuses.join(`,`)),e.jobType&&t.set(O.jobType,e.jobType),e.workflowId&&t.set(O.workflowId,e.workflowId),e.createdAfter&&t.set(O.createdAfter,e.createdAfter),e.createdBefore&&t.set(O.createdBefore,e.createdBefore),e.after&&t.set(O.after,e.after),t}function te(e,t){return{first:t,after:e.after,queueId:e.queueId,status:e.statuses.length?e.statuses:null,jobType:e.jobType,workflowId:e.workflowId,createdAfter:e.createdAfter,createdBefore:e.createdBefore}}function ne(e){return{queueId:e.queueId,workflowId:e.workflowId}}function j(e,t){if(t.queueId&&e.queueId!==t.queueId||t.workflowId&&e.workflowId!==t.workflowId||t.jobType&&e.jobType!==t.jobType||t.statuses.length&&!t.statuses.includes(e.status))return!1;let n=new Date(e.createdAt).getTime();return!(t.createdAfter&&n<new Date(t.createdAfter).getTime()||t.createdBefore&&n>=new Date(t.createdBefore).getTime())}var M=[`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`];function N(e){return e.previousStatus==null&&!e.deleted}function P(e){return{id:e.jobId,status:e.status,jobType:e.jobType,queueId:e.queueId,workflowId:e.workflowId??null,createdAt:N(e)?e.occurredAt:null}}function F(e){return e.createdAfter!==null||e.createdBefore!==null}function I(e,t){let n={...e,status:t.status,progress:t.progress??e.progress},r=e.status;return t.status===`PROCESSING`&&r!==`PROCESSING`?(n.attempts=e.attempts+1,n.startedAt=t.occurredAt,n.finishedAt=null,n.progress=null):M.includes(t.status)&&!M.includes(r)?n.finishedAt=t.occurredAt:!M.includes(t.status)&&t.status!==`PROCESSING`&&M.includes(r)&&(n.startedAt=null,n.finishedAt=null),n}function L(e,t){return!t.deleted&&M.includes(e.status)&&(t.status===`PENDING`||t.status===`SCHEDULED`)}function R(e,t,n){let r=e.findIndex(e=>e.id===t.jobId);if(r<0)return e;let i=e.slice(),a=t.deleted?null:I(e[r],t);return a===null||!j(a,n)?i.splice(r,1):i[r]=a,i}function z(e,t,n){return n.after!==null||!N(t)||e.some(e=>e.id===t.jobId)?!1:j({...P(t),createdAt:t.occurredAt},n)}function B(e,t){let n=new Date(t.createdAt).getTime()-new Date(e.createdAt).getTime();return n===0?e.id<t.id?1:e.id>t.id?-1:0:n}function V(e,t,n,r){let i=t.filter(e=>n.has(e.id));if(!i.length)return e;let a=new Map(i.map(e=>[e.id,e])),o=e.map(e=>a.get(e.id)??e),s=new Set(e.map(e=>e.id)),c=i.filter(e=>!s.has(e.id));return c.length?[...o,...c].sort(B).slice(0,r):o}function H(e,t,n){let r=P(t),i=e?.createdAt??r.createdAt;if(i===null&&F(n))return null;let a={...r,createdAt:i??t.occurredAt},o=e=>e!=null&&j({...a,status:e},n);return t.deleted?o(t.status)?-1:0:Number(o(t.status))-Number(o(t.previousStatus))}function U(e,t){let n=new Set(t.filter(t=>e.has(t.id)).map(e=>e.id));return n.size===e.size?e:n}function W(e){if(!e)return``;let t=new Date(e);return Number.isNaN(t.getTime())?``:new Date(t.getTime()-t.getTimezoneOffset()*6e4).toISOString().slice(0,16)}function G(e){return e?k(e):null}function re({value:e,onApply:n}){let[{data:r}]=t({query:f}),[i,a]=(0,x.useState)(e);(0,x.useEffect)(()=>a(e),[e]);let o=e=>a(t=>({...t,...e}));function s(e){e.preventDefault(),n({...i,jobType:i.jobType?.trim()||null,workflowId:i.workflowId?.trim()||null,after:null})}return(0,S.jsxs)(`form`,{className:`filters card`,onSubmit:s,"aria-label":`Filter jobs`,children:[(0,S.jsxs)(`label`,{children:[`Queue`,(0,S.jsxs)(`select`,{value:i.queueId??``,onChange:e=>o({queueId:e.target.value||null}),children:[(0,S.jsx)(`option`,{value:``,children:`All queues`}),r?.queues.edges.map(({node:e})=>(0,S.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),(0,S.jsxs)(`fieldset`,{children:[(0,S.jsx)(`legend`,{children:`Status`}),(0,S.jsx)(`div`,{className:`checks`,children:E.map(e=>(0,S.jsxs)(`label`,{children:[(0,S.jsx)(`input`,{type:`checkbox`,checked:i.statuses.includes(e),onChange:t=>o({statuses:E.filter(n=>n===e?t.target.checked:i.statuses.includes(n))})}),m(e)]},e))})]}),(0,S.jsxs)(`label`,{children:[`Type`,(0,S.jsx)(`input`,{value:i.jobType??``,onChange:e=>o({jobType:e.target.value}),placeholder:`any`})]}),(0,S.jsxs)(`label`,{children:[`Workflow id`,(0,S.jsx)(`input`,{value:i.workflowId??``,onChange:e=>o({workflowId:e.target.value}),placeholder:`any`})]}),(0,S.jsxs)(`label`,{children:[`Created from`,(0,S.jsx)(`input`,{type:`datetime-local`,value:W(i.createdAfter),onChange:e=>o({createdAfter:G(e.target.value)})})]}),(0,S.jsxs)(`label`,{children:[`Created before`,(0,S.jsx)(`input`,{type:`datetime-local`,value:W(i.createdBefore),onChange:e=>o({createdBefore:G(e.target.value)})})]}),(0,S.jsxs)(`div`,{className:`actions-row`,children:[(0,S.jsx)(`button`,{type:`submit`,className:`primary`,children:`Apply`}),(0,S.jsx)(`button`,{type:`button`,onClick:()=>n(D),children:`Clear`})]})]})}var K=50,q=1e3,J=1e3,ie=o(`
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
`),ae=o(`
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
`),oe=o(`
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
`),se=o(`
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
`);function Y(){let[e,n]=u(),r=(0,x.useMemo)(()=>A(e),[e]),o=(0,x.useMemo)(()=>te(r,K),[r]),{first:l,after:f,...m}=o,[{data:C,error:w,fetching:E},D]=t({query:ie,variables:o}),[{data:O},k]=t({query:oe,variables:m}),j=O?.jobs.totalCount,[M,N]=(0,x.useState)([]),P=(0,x.useRef)(M);P.current=M;let[F,I]=(0,x.useState)(new Set),[B,W]=(0,x.useState)(!1);b(5e3),(0,x.useEffect)(()=>{N(C?.jobs.edges.map(e=>e.node)??[]),I(new Set)},[C]);let G=(0,x.useCallback)(()=>{D({requestPolicy:`network-only`}),k({requestPolicy:`network-only`})},[D,k]),Y=v(()=>k({requestPolicy:`network-only`}),q),ce=i(),X=(0,x.useRef)(new Set),Z=(0,x.useRef)(new Set),Q=(0,x.useRef)(o);Q.current=o;let le=v(()=>{let e=X.current,t=Z.current;if(!e.size)return;X.current=new Set,Z.current=new Set;let n=Q.current;ce.query(ae,n,{requestPolicy:`network-only`}).toPromise().then(r=>{if(!r.data||Q.current!==n)return;let i=r.data.jobs.edges.map(e=>e.node);N(n=>{let r=V(n,i,e,K);if(r!==n){let e=r.filter(e=>t.has(e.id)&&!n.some(t=>t.id===e.id));e.length&&I(t=>U(new Set([...t,...e.map(e=>e.id)]),r))}return r})})},J);(0,x.useEffect)(()=>{X.current=new Set,Z.current=new Set},[o]),y({query:se,variables:ne(r),cursorOf:e=>e.jobStatusChanged.eventId,onEvent:({jobStatusChanged:e})=>{let t=P.current.find(t=>t.id===e.jobId);H(t,e,r)!==0&&Y(),(t?L(t,e):z(P.current,e,r))&&(X.current.add(e.jobId),t||Z.current.add(e.jobId),le()),N(t=>{let n=R(t,e,r);return n!==t&&I(e=>U(e,n)),n})},onResync:G});let $=e=>n(ee(e));return(0,S.jsxs)(S.Fragment,{children:[(0,S.jsx)(a,{title:`Jobs`,children:(0,S.jsx)(`button`,{type:`button`,className:`primary`,onClick:()=>W(e=>!e),"aria-expanded":B,children:`Enqueue job`})}),B&&(0,S.jsx)(T,{defaultQueueId:r.queueId,onClose:()=>W(!1)}),(0,S.jsx)(re,{value:r,onApply:$}),(0,S.jsx)(s,{error:w}),!C&&E?(0,S.jsx)(`p`,{className:`muted`,children:`Loading…`}):(0,S.jsx)(d,{caption:`Jobs, newest first`,rows:M,rowKey:e=>e.id,rowClassName:e=>F.has(e.id)?`fresh`:void 0,empty:`No job matches these filters.`,columns:[{key:`type`,header:`Job`,render:e=>(0,S.jsxs)(c,{to:`/jobs/${e.id}`,children:[e.jobType,e.name?` · ${e.name}`:``]})},{key:`status`,header:`Status`,render:e=>(0,S.jsx)(p,{status:e.status})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`attempts`,header:`Attempts`,className:`num`,render:e=>e.maxAttempts?`${e.attempts} / ${e.maxAttempts}`:e.attempts},{key:`created`,header:`Created`,render:e=>(0,S.jsx)(g,{value:e.createdAt,relative:!0})},{key:`took`,header:`Run time`,render:e=>e.startedAt?(0,S.jsx)(_,{start:e.startedAt,end:e.finishedAt}):(0,S.jsx)(`span`,{className:`muted`,children:`—`})},{key:`workflow`,header:`Workflow`,render:e=>e.workflowId?(0,S.jsx)(c,{to:`/workflows/${e.workflowId}`,children:`open`}):(0,S.jsx)(`span`,{className:`muted`,children:`—`})}]}),(0,S.jsx)(h,{pageInfo:C?.jobs.pageInfo,after:r.after,onPage:e=>$({...r,after:e}),total:j,shown:M.length})]})}export{J as READ_MS,q as RECOUNT_MS,Y as default};