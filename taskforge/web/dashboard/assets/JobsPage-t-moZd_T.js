import{D as e,E as t,S as n,b as r,g as i,h as a,i as o,m as s,n as c,p as l,t as u,v as d,x as f,y as p}from"./index-X1LKmurv.js";import{t as m}from"./DataTable-Cv4UiN72.js";import{t as h}from"./queries-CQWz31C5.js";import{c as g,l as _}from"./format-Boy2QifC.js";import{t as ee}from"./Pager--_h2fn3z.js";import{n as te,t as v}from"./Time-Bt9y9KMx.js";import{i as y,r as b,t as x}from"./live-BFyL_fks.js";var S=e(t(),1),C=o(),w=l(`
  mutation EnqueueJob($input: EnqueueJobInput!) {
    enqueueJob(input: $input) { id status jobType }
  }
`);function T(e){if(!e.trim())return{value:{}};try{let t=JSON.parse(e);return typeof t!=`object`||!t||Array.isArray(t)?{error:`The payload must be a JSON object, like {"to": "ada@example.com"}.`}:{value:t}}catch(e){return{error:`The payload is not valid JSON: ${e.message}`}}}function E({defaultQueueId:e,onClose:t}){let[{data:n}]=i({query:h}),[{fetching:r,error:o},s]=a(w),[c,l]=(0,S.useState)(e??``),[d,p]=(0,S.useState)(``),[m,g]=(0,S.useState)(`{}`),[_,ee]=(0,S.useState)(5),[te,v]=(0,S.useState)(null),[y,b]=(0,S.useState)(null),x=n?.queues.edges.map(e=>e.node)??[],E=c||x[0]?.id||``;async function D(e){e.preventDefault(),b(null);let t=T(m);if(`error`in t){v(t.error);return}v(null);let n=await s({input:{queueId:E,jobType:d.trim(),payload:t.value,priority:_}});n.data&&b(n.data.enqueueJob)}return(0,C.jsxs)(`form`,{className:`card form enqueue`,onSubmit:D,"aria-labelledby":`enqueue-title`,children:[(0,C.jsx)(`h2`,{id:`enqueue-title`,children:`Enqueue a job`}),(0,C.jsxs)(`div`,{className:`filters`,children:[(0,C.jsxs)(`label`,{children:[`Queue`,(0,C.jsx)(`select`,{value:E,onChange:e=>l(e.target.value),required:!0,children:x.map(e=>(0,C.jsxs)(`option`,{value:e.id,children:[e.name,e.isPaused?` (paused)`:``]},e.id))})]}),(0,C.jsxs)(`label`,{children:[`Job type`,(0,C.jsx)(`input`,{value:d,onChange:e=>p(e.target.value),required:!0,placeholder:`send_email`})]}),(0,C.jsxs)(`label`,{children:[`Priority`,(0,C.jsx)(`input`,{type:`number`,min:0,max:9,value:_,onChange:e=>ee(Number(e.target.value))})]})]}),(0,C.jsxs)(`label`,{children:[`Payload (JSON)`,(0,C.jsx)(`textarea`,{value:m,onChange:e=>g(e.target.value),spellCheck:!1,rows:5})]}),(0,C.jsx)(u,{error:te??o}),y&&(0,C.jsxs)(`p`,{role:`status`,children:[`Enqueued `,(0,C.jsx)(f,{to:`/jobs/${y.id}`,children:y.jobType}),`.`]}),(0,C.jsxs)(`div`,{className:`actions-row`,children:[(0,C.jsx)(`button`,{type:`submit`,className:`primary`,disabled:r||!E,children:r?`Enqueueing…`:`Enqueue`}),t&&(0,C.jsx)(`button`,{type:`button`,onClick:t,children:`Close`})]})]})}var D=[`PENDING`,`SCHEDULED`,`PROCESSING`,`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`],O={queueId:null,statuses:[],jobType:null,workflowId:null,createdAfter:null,createdBefore:null,after:null},k={queueId:`queue`,jobType:`type`,workflowId:`workflow`,createdAfter:`from`,createdBefore:`to`,after:`after`};function A(e){if(!e)return null;let t=new Date(e);return Number.isNaN(t.getTime())?null:t.toISOString()}function ne(e){let t=t=>e.get(t)?.trim()||null,n=(e.get(`status`)??``).split(`,`).map(e=>e.trim().toUpperCase()).filter(e=>D.includes(e));return{queueId:t(k.queueId),statuses:D.filter(e=>n.includes(e)),jobType:t(k.jobType),workflowId:t(k.workflowId),createdAfter:A(t(k.createdAfter)),createdBefore:A(t(k.createdBefore)),after:t(k.after)}}function re(e){let t=new URLSearchParams;return e.queueId&&t.set(k.queueId,e.queueId),e.statuses.length&&t.set(`status`,e.statuses.join(`,`)),e.jobType&&t.set(k.jobType,e.jobType),e.workflowId&&t.set(k.workflowId,e.workflowId),e.createdAfter&&t.set(k.createdAfter,e.createdAfter),e.createdBefore&&t.set(k.createdBefore,e.createdBefore),e.after&&t.set(k.after,e.after),t}function ie(e,t){return{first:t,after:e.after,queueId:e.queueId,status:e.statuses.length?e.statuses:null,jobType:e.jobType,workflowId:e.workflowId,createdAfter:e.createdAfter,createdBefore:e.createdBefore}}function ae(e){return{queueId:e.queueId,workflowId:e.workflowId}}function j(e,t){if(t.queueId&&e.queueId!==t.queueId||t.workflowId&&e.workflowId!==t.workflowId||t.jobType&&e.jobType!==t.jobType||t.statuses.length&&!t.statuses.includes(e.status))return!1;let n=new Date(e.createdAt).getTime();return!(t.createdAfter&&n<new Date(t.createdAfter).getTime()||t.createdBefore&&n>=new Date(t.createdBefore).getTime())}var M=[`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`];function N(e){return e.previousStatus==null&&!e.deleted}function P(e){return{id:e.jobId,status:e.status,jobType:e.jobType,queueId:e.queueId,workflowId:e.workflowId??null,createdAt:N(e)?e.occurredAt:null}}function F(e){return e.createdAfter!==null||e.createdBefore!==null}function oe(e,t){let n={...e,status:t.status,progress:t.progress??e.progress},r=e.status;return t.status===`PROCESSING`&&r!==`PROCESSING`?(n.attempts=e.attempts+1,n.startedAt=t.occurredAt,n.finishedAt=null,n.progress=null):M.includes(t.status)&&!M.includes(r)?n.finishedAt=t.occurredAt:!M.includes(t.status)&&t.status!==`PROCESSING`&&M.includes(r)&&(n.startedAt=null,n.finishedAt=null),n}function se(e,t){return!t.deleted&&M.includes(e.status)&&(t.status===`PENDING`||t.status===`SCHEDULED`)}function I(e,t,n){let r=e.findIndex(e=>e.id===t.jobId);if(r<0)return e;let i=e.slice(),a=t.deleted?null:oe(e[r],t);return a===null||!j(a,n)?i.splice(r,1):i[r]=a,i}function L(e,t,n){let r=e;for(let e of t){let t=r.find(t=>t.id===e.jobId);t&&R(t,e)||(r=I(r,e,n))}return r}function R(e,t){let n=new Date(t.occurredAt).getTime();return e.updatedAt!=null&&new Date(e.updatedAt).getTime()>=n||[e.startedAt,e.finishedAt].some(e=>e!=null&&new Date(e).getTime()>n)}function z(e,t,n){return n.after!==null||!N(t)||e.some(e=>e.id===t.jobId)?!1:j({...P(t),createdAt:t.occurredAt},n)}function B(e,t){let n=new Date(t.createdAt).getTime()-new Date(e.createdAt).getTime();return n===0?e.id<t.id?1:e.id>t.id?-1:0:n}function ce(e,t,n,r){let i=t.filter(e=>n.has(e.id));if(!i.length)return e;let a=new Map(i.map(e=>[e.id,e])),o=e.map(e=>a.get(e.id)??e),s=new Set(e.map(e=>e.id)),c=i.filter(e=>!s.has(e.id));return c.length?[...o,...c].sort(B).slice(0,r):o}function le(e,t,n){let r=P(t),i=e?.createdAt??r.createdAt;if(i===null&&F(n))return null;let a={...r,createdAt:i??t.occurredAt},o=e=>e!=null&&j({...a,status:e},n);return t.deleted?o(t.status)?-1:0:Number(o(t.status))-Number(o(t.previousStatus))}function V(e,t){let n=new Set(t.filter(t=>e.has(t.id)).map(e=>e.id));return n.size===e.size?e:n}function H(e){if(!e)return``;let t=new Date(e);return Number.isNaN(t.getTime())?``:new Date(t.getTime()-t.getTimezoneOffset()*6e4).toISOString().slice(0,16)}function U(e){return e?A(e):null}function ue({value:e,onApply:t}){let[{data:n}]=i({query:h}),[r,a]=(0,S.useState)(e);(0,S.useEffect)(()=>a(e),[e]);let o=e=>a(t=>({...t,...e}));function s(e){e.preventDefault(),t({...r,jobType:r.jobType?.trim()||null,workflowId:r.workflowId?.trim()||null,after:null})}return(0,C.jsxs)(`form`,{className:`filters card`,onSubmit:s,"aria-label":`Filter jobs`,children:[(0,C.jsxs)(`label`,{children:[`Queue`,(0,C.jsxs)(`select`,{value:r.queueId??``,onChange:e=>o({queueId:e.target.value||null}),children:[(0,C.jsx)(`option`,{value:``,children:`All queues`}),n?.queues.edges.map(({node:e})=>(0,C.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),(0,C.jsxs)(`fieldset`,{children:[(0,C.jsx)(`legend`,{children:`Status`}),(0,C.jsx)(`div`,{className:`checks`,children:D.map(e=>(0,C.jsxs)(`label`,{children:[(0,C.jsx)(`input`,{type:`checkbox`,checked:r.statuses.includes(e),onChange:t=>o({statuses:D.filter(n=>n===e?t.target.checked:r.statuses.includes(n))})}),_(e)]},e))})]}),(0,C.jsxs)(`label`,{children:[`Type`,(0,C.jsx)(`input`,{value:r.jobType??``,onChange:e=>o({jobType:e.target.value}),placeholder:`any`})]}),(0,C.jsxs)(`label`,{children:[`Workflow id`,(0,C.jsx)(`input`,{value:r.workflowId??``,onChange:e=>o({workflowId:e.target.value}),placeholder:`any`})]}),(0,C.jsxs)(`label`,{children:[`Created from`,(0,C.jsx)(`input`,{type:`datetime-local`,value:H(r.createdAfter),onChange:e=>o({createdAfter:U(e.target.value)})})]}),(0,C.jsxs)(`label`,{children:[`Created before`,(0,C.jsx)(`input`,{type:`datetime-local`,value:H(r.createdBefore),onChange:e=>o({createdBefore:U(e.target.value)})})]}),(0,C.jsxs)(`div`,{className:`actions-row`,children:[(0,C.jsx)(`button`,{type:`submit`,className:`primary`,children:`Apply`}),(0,C.jsx)(`button`,{type:`button`,onClick:()=>t(O),children:`Clear`})]})]})}var W=1e4,de=class{limit;constructor(e=W){this.limit=e}seq=0;entries=[];open=new Map;mark(){return this.open.set(this.seq,(this.open.get(this.seq)??0)+1),this.seq}push(e){return this.seq+=1,!this.open.size||(this.entries.push({seq:this.seq,event:e}),this.entries.length<=this.limit)||(this.entries.splice(0,this.entries.length-this.limit),!1)}get size(){return this.entries.length}since(e){return this.entries.filter(t=>t.seq>e).map(e=>e.event)}settle(e){let t=this.since(e),n=this.open.get(e)??0;n>1?this.open.set(e,n-1):this.open.delete(e);let r=Math.min(...this.open.keys());return this.entries=this.open.size?this.entries.filter(e=>e.seq>r):[],t}clear(){this.open.clear(),this.entries=[]}},G=50;function fe(e){return e.definitions.some(e=>e.kind===`OperationDefinition`&&e.name?.value===`Jobs`)}var K=1e3,q=1e3,pe=l(`
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
`),me=l(`
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
`),he=l(`
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
`),ge=l(`
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
`);function J(){let[e,t]=n(),a=(0,S.useMemo)(()=>ne(e),[e]),o=(0,S.useMemo)(()=>ie(a,G),[a]),{first:l,after:h,..._}=o,[{data:w,error:T,fetching:D,stale:O},k]=i({query:pe,variables:o}),[{data:A},j]=i({query:he,variables:_}),M=A?.jobs.totalCount,[N,P]=(0,S.useState)([]),F=(0,S.useRef)(N);F.current=N;let[oe,R]=(0,S.useState)(new Set),[B,H]=(0,S.useState)(!1);x(5e3);let U=(0,S.useRef)(new de),W=(0,S.useRef)(null),J=s(),Y=(0,S.useRef)(a);Y.current=a,(0,S.useEffect)(()=>{let e=w?.jobs.edges.map(e=>e.node)??[];if(w&&W.current!==null){let t=O?U.current.since(W.current):U.current.settle(W.current);O||(W.current=null),e=L(e,t,Y.current);for(let n of t)z(e,n,Y.current)&&(Z.current.add(n.jobId),Q.current.add(n.jobId));Z.current.size&&ve()}P(e),R(new Set)},[w]),(0,S.useEffect)(()=>{T&&!O&&W.current!==null&&(U.current.settle(W.current),W.current=null)},[T]),(0,S.useEffect)(()=>{let{unsubscribe:e}=p(J.operations$,d(e=>e.kind===`query`&&fe(e.query)),r(()=>{W.current===null&&(W.current=U.current.mark())}));return e},[J]);let X=(0,S.useCallback)(()=>{W.current===null&&(W.current=U.current.mark()),k({requestPolicy:`network-only`}),j({requestPolicy:`network-only`})},[k,j]),_e=y(()=>j({requestPolicy:`network-only`}),K),Z=(0,S.useRef)(new Set),Q=(0,S.useRef)(new Set),$=(0,S.useRef)(o);$.current=o;let ve=y(()=>{let e=Z.current,t=Q.current;if(!e.size)return;Z.current=new Set,Q.current=new Set;let n=$.current,r=U.current.mark();J.query(me,n,{requestPolicy:`network-only`}).toPromise().then(i=>{let a=U.current.settle(r).filter(t=>e.has(t.jobId));if(!i.data||$.current!==n)return;let o=L(i.data.jobs.edges.map(e=>e.node),a,Y.current);P(n=>{let r=ce(n,o,e,G);if(r!==n){let e=r.filter(e=>t.has(e.id)&&!n.some(t=>t.id===e.id));e.length&&R(t=>V(new Set([...t,...e.map(e=>e.id)]),r))}return r})})},q);(0,S.useEffect)(()=>{Z.current=new Set,Q.current=new Set,U.current.clear(),W.current=U.current.mark()},[o]),b({query:ge,variables:ae(a),cursorOf:e=>e.jobStatusChanged.eventId,onEvent:({jobStatusChanged:e})=>{U.current.push(e)||(U.current.clear(),W.current=null,Z.current=new Set,Q.current=new Set,X());let t=F.current.find(t=>t.id===e.jobId);le(t,e,a)!==0&&_e(),(t?se(t,e):z(F.current,e,a))&&(Z.current.add(e.jobId),t||Q.current.add(e.jobId),ve()),P(t=>{let n=I(t,e,a);return n!==t&&R(e=>V(e,n)),n})},onResync:X});let ye=e=>t(re(e));return(0,C.jsxs)(C.Fragment,{children:[(0,C.jsx)(c,{title:`Jobs`,children:(0,C.jsx)(`button`,{type:`button`,className:`primary`,onClick:()=>H(e=>!e),"aria-expanded":B,children:`Enqueue job`})}),B&&(0,C.jsx)(E,{defaultQueueId:a.queueId,onClose:()=>H(!1)}),(0,C.jsx)(ue,{value:a,onApply:ye}),(0,C.jsx)(u,{error:T}),!w&&D?(0,C.jsx)(`p`,{className:`muted`,children:`Loading…`}):(0,C.jsx)(m,{caption:`Jobs, newest first`,rows:N,rowKey:e=>e.id,rowClassName:e=>oe.has(e.id)?`fresh`:void 0,empty:`No job matches these filters.`,columns:[{key:`type`,header:`Job`,render:e=>(0,C.jsxs)(f,{to:`/jobs/${e.id}`,children:[e.jobType,e.name?` · ${e.name}`:``]})},{key:`status`,header:`Status`,render:e=>(0,C.jsx)(g,{status:e.status})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`attempts`,header:`Attempts`,className:`num`,render:e=>e.maxAttempts?`${e.attempts} / ${e.maxAttempts}`:e.attempts},{key:`created`,header:`Created`,render:e=>(0,C.jsx)(te,{value:e.createdAt,relative:!0})},{key:`took`,header:`Run time`,render:e=>e.startedAt?(0,C.jsx)(v,{start:e.startedAt,end:e.finishedAt}):(0,C.jsx)(`span`,{className:`muted`,children:`—`})},{key:`workflow`,header:`Workflow`,render:e=>e.workflowId?(0,C.jsx)(f,{to:`/workflows/${e.workflowId}`,children:`open`}):(0,C.jsx)(`span`,{className:`muted`,children:`—`})}]}),(0,C.jsx)(ee,{pageInfo:w?.jobs.pageInfo,after:a.after,onPage:e=>ye({...a,after:e}),total:M,shown:N.length})]})}export{q as READ_MS,K as RECOUNT_MS,J as default};