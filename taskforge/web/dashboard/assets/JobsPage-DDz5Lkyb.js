import{C as e,g as t,h as n,i as r,m as i,n as a,p as o,t as s,v as c,w as l,y as u}from"./index-Pjv7t6-P.js";import{t as d}from"./DataTable-Dc2B3DSv.js";import{t as f}from"./queries-BhyGKf42.js";import{c as p,l as m}from"./format-DdDSQsQJ.js";import{t as h}from"./Pager-ByO3o9l0.js";import{n as g,t as _}from"./Time-D5i59nc5.js";import{i as v,r as y,t as b}from"./live-CBHxL4KL.js";var x=l(e(),1),S=r(),C=o(`
  mutation EnqueueJob($input: EnqueueJobInput!) {
    enqueueJob(input: $input) { id status jobType }
  }
`);function w(e){if(!e.trim())return{value:{}};try{let t=JSON.parse(e);return typeof t!=`object`||!t||Array.isArray(t)?{error:`The payload must be a JSON object, like {"to": "ada@example.com"}.`}:{value:t}}catch(e){return{error:`The payload is not valid JSON: ${e.message}`}}}function T({defaultQueueId:e,onClose:r}){let[{data:i}]=t({query:f}),[{fetching:a,error:o},l]=n(C),[u,d]=(0,x.useState)(e??``),[p,m]=(0,x.useState)(``),[h,g]=(0,x.useState)(`{}`),[_,v]=(0,x.useState)(5),[y,b]=(0,x.useState)(null),[T,E]=(0,x.useState)(null),D=i?.queues.edges.map(e=>e.node)??[],O=u||D[0]?.id||``;async function k(e){e.preventDefault(),E(null);let t=w(h);if(`error`in t){b(t.error);return}b(null);let n=await l({input:{queueId:O,jobType:p.trim(),payload:t.value,priority:_}});n.data&&E(n.data.enqueueJob)}return(0,S.jsxs)(`form`,{className:`card form enqueue`,onSubmit:k,"aria-labelledby":`enqueue-title`,children:[(0,S.jsx)(`h2`,{id:`enqueue-title`,children:`Enqueue a job`}),(0,S.jsxs)(`div`,{className:`filters`,children:[(0,S.jsxs)(`label`,{children:[`Queue`,(0,S.jsx)(`select`,{value:O,onChange:e=>d(e.target.value),required:!0,children:D.map(e=>(0,S.jsxs)(`option`,{value:e.id,children:[e.name,e.isPaused?` (paused)`:``]},e.id))})]}),(0,S.jsxs)(`label`,{children:[`Job type`,(0,S.jsx)(`input`,{value:p,onChange:e=>m(e.target.value),required:!0,placeholder:`send_email`})]}),(0,S.jsxs)(`label`,{children:[`Priority`,(0,S.jsx)(`input`,{type:`number`,min:0,max:9,value:_,onChange:e=>v(Number(e.target.value))})]})]}),(0,S.jsxs)(`label`,{children:[`Payload (JSON)`,(0,S.jsx)(`textarea`,{value:h,onChange:e=>g(e.target.value),spellCheck:!1,rows:5})]}),(0,S.jsx)(s,{error:y??o}),T&&(0,S.jsxs)(`p`,{role:`status`,children:[`Enqueued `,(0,S.jsx)(c,{to:`/jobs/${T.id}`,children:T.jobType}),`.`]}),(0,S.jsxs)(`div`,{className:`actions-row`,children:[(0,S.jsx)(`button`,{type:`submit`,className:`primary`,disabled:a||!O,children:a?`Enqueueing…`:`Enqueue`}),r&&(0,S.jsx)(`button`,{type:`button`,onClick:r,children:`Close`})]})]})}var E=[`PENDING`,`SCHEDULED`,`PROCESSING`,`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`],D={queueId:null,statuses:[],jobType:null,workflowId:null,createdAfter:null,createdBefore:null,after:null},O={queueId:`queue`,jobType:`type`,workflowId:`workflow`,createdAfter:`from`,createdBefore:`to`,after:`after`};function k(e){if(!e)return null;let t=new Date(e);return Number.isNaN(t.getTime())?null:t.toISOString()}function ee(e){let t=t=>e.get(t)?.trim()||null,n=(e.get(`status`)??``).split(`,`).map(e=>e.trim().toUpperCase()).filter(e=>E.includes(e));return{queueId:t(O.queueId),statuses:E.filter(e=>n.includes(e)),jobType:t(O.jobType),workflowId:t(O.workflowId),createdAfter:k(t(O.createdAfter)),createdBefore:k(t(O.createdBefore)),after:t(O.after)}}function te(e){let t=new URLSearchParams;return e.queueId&&t.set(O.queueId,e.queueId),e.statuses.length&&t.set(`status`,e.statuses.join(`,`)),e.jobType&&t.set(O.jobType,e.jobType),e.workflowId&&t.set(O.workflowId,e.workflowId),e.createdAfter&&t.set(O.createdAfter,e.createdAfter),e.createdBefore&&t.set(O.createdBefore,e.createdBefore),e.after&&t.set(O.after,e.after),t}function ne(e,t){return{first:t,after:e.after,queueId:e.queueId,status:e.statuses.length?e.statuses:null,jobType:e.jobType,workflowId:e.workflowId,createdAfter:e.createdAfter,createdBefore:e.createdBefore}}function re(e){return{queueId:e.queueId,workflowId:e.workflowId}}function A(e,t){if(t.queueId&&e.queueId!==t.queueId||t.workflowId&&e.workflowId!==t.workflowId||t.jobType&&e.jobType!==t.jobType||t.statuses.length&&!t.statuses.includes(e.status))return!1;let n=new Date(e.createdAt).getTime();return!(t.createdAfter&&n<new Date(t.createdAfter).getTime()||t.createdBefore&&n>=new Date(t.createdBefore).getTime())}var j=[`SUCCEEDED`,`FAILED`,`CANCELLED`,`SKIPPED`];function M(e){return e.previousStatus==null&&!e.deleted}function N(e){return{id:e.jobId,status:e.status,jobType:e.jobType,queueId:e.queueId,workflowId:e.workflowId??null,createdAt:M(e)?e.occurredAt:null}}function P(e){return e.createdAfter!==null||e.createdBefore!==null}function F(e,t){let n={...e,status:t.status,progress:t.progress??e.progress},r=e.status;return t.status===`PROCESSING`&&r!==`PROCESSING`?(n.attempts=e.attempts+1,n.startedAt=t.occurredAt,n.finishedAt=null,n.progress=null):j.includes(t.status)&&!j.includes(r)?n.finishedAt=t.occurredAt:!j.includes(t.status)&&t.status!==`PROCESSING`&&j.includes(r)&&(n.startedAt=null,n.finishedAt=null),n}function ie(e,t){return!t.deleted&&j.includes(e.status)&&(t.status===`PENDING`||t.status===`SCHEDULED`)}function I(e,t,n){let r=e.findIndex(e=>e.id===t.jobId);if(r<0)return e;let i=e.slice(),a=t.deleted?null:F(e[r],t);return a===null||!A(a,n)?i.splice(r,1):i[r]=a,i}function L(e,t,n){let r=e;for(let e of t){let t=r.find(t=>t.id===e.jobId);t&&R(t,e)||(r=I(r,e,n))}return r}function R(e,t){let n=new Date(t.occurredAt).getTime();return[e.startedAt,e.finishedAt].some(e=>e!=null&&new Date(e).getTime()>n)}function z(e,t,n){return n.after!==null||!M(t)||e.some(e=>e.id===t.jobId)?!1:A({...N(t),createdAt:t.occurredAt},n)}function B(e,t){let n=new Date(t.createdAt).getTime()-new Date(e.createdAt).getTime();return n===0?e.id<t.id?1:e.id>t.id?-1:0:n}function ae(e,t,n,r){let i=t.filter(e=>n.has(e.id));if(!i.length)return e;let a=new Map(i.map(e=>[e.id,e])),o=e.map(e=>a.get(e.id)??e),s=new Set(e.map(e=>e.id)),c=i.filter(e=>!s.has(e.id));return c.length?[...o,...c].sort(B).slice(0,r):o}function oe(e,t,n){let r=N(t),i=e?.createdAt??r.createdAt;if(i===null&&P(n))return null;let a={...r,createdAt:i??t.occurredAt},o=e=>e!=null&&A({...a,status:e},n);return t.deleted?o(t.status)?-1:0:Number(o(t.status))-Number(o(t.previousStatus))}function V(e,t){let n=new Set(t.filter(t=>e.has(t.id)).map(e=>e.id));return n.size===e.size?e:n}function H(e){if(!e)return``;let t=new Date(e);return Number.isNaN(t.getTime())?``:new Date(t.getTime()-t.getTimezoneOffset()*6e4).toISOString().slice(0,16)}function U(e){return e?k(e):null}function se({value:e,onApply:n}){let[{data:r}]=t({query:f}),[i,a]=(0,x.useState)(e);(0,x.useEffect)(()=>a(e),[e]);let o=e=>a(t=>({...t,...e}));function s(e){e.preventDefault(),n({...i,jobType:i.jobType?.trim()||null,workflowId:i.workflowId?.trim()||null,after:null})}return(0,S.jsxs)(`form`,{className:`filters card`,onSubmit:s,"aria-label":`Filter jobs`,children:[(0,S.jsxs)(`label`,{children:[`Queue`,(0,S.jsxs)(`select`,{value:i.queueId??``,onChange:e=>o({queueId:e.target.value||null}),children:[(0,S.jsx)(`option`,{value:``,children:`All queues`}),r?.queues.edges.map(({node:e})=>(0,S.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),(0,S.jsxs)(`fieldset`,{children:[(0,S.jsx)(`legend`,{children:`Status`}),(0,S.jsx)(`div`,{className:`checks`,children:E.map(e=>(0,S.jsxs)(`label`,{children:[(0,S.jsx)(`input`,{type:`checkbox`,checked:i.statuses.includes(e),onChange:t=>o({statuses:E.filter(n=>n===e?t.target.checked:i.statuses.includes(n))})}),m(e)]},e))})]}),(0,S.jsxs)(`label`,{children:[`Type`,(0,S.jsx)(`input`,{value:i.jobType??``,onChange:e=>o({jobType:e.target.value}),placeholder:`any`})]}),(0,S.jsxs)(`label`,{children:[`Workflow id`,(0,S.jsx)(`input`,{value:i.workflowId??``,onChange:e=>o({workflowId:e.target.value}),placeholder:`any`})]}),(0,S.jsxs)(`label`,{children:[`Created from`,(0,S.jsx)(`input`,{type:`datetime-local`,value:H(i.createdAfter),onChange:e=>o({createdAfter:U(e.target.value)})})]}),(0,S.jsxs)(`label`,{children:[`Created before`,(0,S.jsx)(`input`,{type:`datetime-local`,value:H(i.createdBefore),onChange:e=>o({createdBefore:U(e.target.value)})})]}),(0,S.jsxs)(`div`,{className:`actions-row`,children:[(0,S.jsx)(`button`,{type:`submit`,className:`primary`,children:`Apply`}),(0,S.jsx)(`button`,{type:`button`,onClick:()=>n(D),children:`Clear`})]})]})}var ce=class{seq=0;entries=[];open=new Map;mark(){return this.open.set(this.seq,(this.open.get(this.seq)??0)+1),this.seq}push(e){this.seq+=1,this.open.size&&this.entries.push({seq:this.seq,event:e})}since(e){return this.entries.filter(t=>t.seq>e).map(e=>e.event)}settle(e){let t=this.since(e),n=this.open.get(e)??0;n>1?this.open.set(e,n-1):this.open.delete(e);let r=Math.min(...this.open.keys());return this.entries=this.open.size?this.entries.filter(e=>e.seq>r):[],t}clear(){this.open.clear(),this.entries=[]}},W=50,G=1e3,K=1e3,le=o(`
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
`),ue=o(`
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
`),de=o(`
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
`),fe=o(`
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
`);function q(){let[e,n]=u(),r=(0,x.useMemo)(()=>ee(e),[e]),o=(0,x.useMemo)(()=>ne(r,W),[r]),{first:l,after:f,...m}=o,[{data:C,error:w,fetching:E,stale:D},O]=t({query:le,variables:o}),[{data:k},A]=t({query:de,variables:m}),j=k?.jobs.totalCount,[M,N]=(0,x.useState)([]),P=(0,x.useRef)(M);P.current=M;let[F,R]=(0,x.useState)(new Set),[B,H]=(0,x.useState)(!1);b(5e3);let U=(0,x.useRef)(new ce),q=(0,x.useRef)(null),J=(0,x.useRef)(r);J.current=r,(0,x.useEffect)(()=>{let e=C?.jobs.edges.map(e=>e.node)??[];if(C&&q.current!==null){let t=D?U.current.since(q.current):U.current.settle(q.current);D||(q.current=null),e=L(e,t,J.current);for(let n of t)z(e,n,J.current)&&(Y.current.add(n.jobId),X.current.add(n.jobId));Y.current.size&&Q()}N(e),R(new Set)},[C]);let pe=(0,x.useCallback)(()=>{q.current===null&&(q.current=U.current.mark()),O({requestPolicy:`network-only`}),A({requestPolicy:`network-only`})},[O,A]),me=v(()=>A({requestPolicy:`network-only`}),G),he=i(),Y=(0,x.useRef)(new Set),X=(0,x.useRef)(new Set),Z=(0,x.useRef)(o);Z.current=o;let Q=v(()=>{let e=Y.current,t=X.current;if(!e.size)return;Y.current=new Set,X.current=new Set;let n=Z.current,r=U.current.mark();he.query(ue,n,{requestPolicy:`network-only`}).toPromise().then(i=>{let a=U.current.settle(r).filter(t=>e.has(t.jobId));if(!i.data||Z.current!==n)return;let o=L(i.data.jobs.edges.map(e=>e.node),a,J.current);N(n=>{let r=ae(n,o,e,W);if(r!==n){let e=r.filter(e=>t.has(e.id)&&!n.some(t=>t.id===e.id));e.length&&R(t=>V(new Set([...t,...e.map(e=>e.id)]),r))}return r})})},K);(0,x.useEffect)(()=>{Y.current=new Set,X.current=new Set,U.current.clear(),q.current=U.current.mark()},[o]),y({query:fe,variables:re(r),cursorOf:e=>e.jobStatusChanged.eventId,onEvent:({jobStatusChanged:e})=>{U.current.push(e);let t=P.current.find(t=>t.id===e.jobId);oe(t,e,r)!==0&&me(),(t?ie(t,e):z(P.current,e,r))&&(Y.current.add(e.jobId),t||X.current.add(e.jobId),Q()),N(t=>{let n=I(t,e,r);return n!==t&&R(e=>V(e,n)),n})},onResync:pe});let $=e=>n(te(e));return(0,S.jsxs)(S.Fragment,{children:[(0,S.jsx)(a,{title:`Jobs`,children:(0,S.jsx)(`button`,{type:`button`,className:`primary`,onClick:()=>H(e=>!e),"aria-expanded":B,children:`Enqueue job`})}),B&&(0,S.jsx)(T,{defaultQueueId:r.queueId,onClose:()=>H(!1)}),(0,S.jsx)(se,{value:r,onApply:$}),(0,S.jsx)(s,{error:w}),!C&&E?(0,S.jsx)(`p`,{className:`muted`,children:`Loading…`}):(0,S.jsx)(d,{caption:`Jobs, newest first`,rows:M,rowKey:e=>e.id,rowClassName:e=>F.has(e.id)?`fresh`:void 0,empty:`No job matches these filters.`,columns:[{key:`type`,header:`Job`,render:e=>(0,S.jsxs)(c,{to:`/jobs/${e.id}`,children:[e.jobType,e.name?` · ${e.name}`:``]})},{key:`status`,header:`Status`,render:e=>(0,S.jsx)(p,{status:e.status})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`attempts`,header:`Attempts`,className:`num`,render:e=>e.maxAttempts?`${e.attempts} / ${e.maxAttempts}`:e.attempts},{key:`created`,header:`Created`,render:e=>(0,S.jsx)(g,{value:e.createdAt,relative:!0})},{key:`took`,header:`Run time`,render:e=>e.startedAt?(0,S.jsx)(_,{start:e.startedAt,end:e.finishedAt}):(0,S.jsx)(`span`,{className:`muted`,children:`—`})},{key:`workflow`,header:`Workflow`,render:e=>e.workflowId?(0,S.jsx)(c,{to:`/workflows/${e.workflowId}`,children:`open`}):(0,S.jsx)(`span`,{className:`muted`,children:`—`})}]}),(0,S.jsx)(h,{pageInfo:C?.jobs.pageInfo,after:r.after,onPage:e=>$({...r,after:e}),total:j,shown:M.length})]})}export{K as READ_MS,G as RECOUNT_MS,q as default};