import{D as e,E as t,T as n,g as r,h as i,i as a,n as o,p as s,t as c,x as l}from"./index-X1LKmurv.js";import{t as u}from"./DataTable-Cv4UiN72.js";import{c as d,i as f,n as p}from"./format-Boy2QifC.js";import{i as m,r as h,t as g}from"./live-BFyL_fks.js";import{n as _,t as v}from"./Time-Bt9y9KMx.js";var y=e(t(),1),b=class{capacity;slots;start=0;count=0;dropped=0;constructor(e){if(this.capacity=e,!(e>0))throw RangeError(`a ring buffer holds at least one item`);this.slots=Array(e)}get size(){return this.count}push(e){for(let t of e){let e=(this.start+this.count)%this.capacity;this.slots[e]=t,this.count<this.capacity?this.count++:(this.start=(this.start+1)%this.capacity,this.dropped++)}}toArray(){let e=Array(this.count);for(let t=0;t<this.count;t++)e[t]=this.slots[(this.start+t)%this.capacity];return e}clear(){this.slots.fill(void 0),this.start=this.count=this.dropped=0}},x=a(),S=s(`
  subscription ExecutionLogs($executionId: ID!, $after: String) {
    executionLogs(executionId: $executionId, after: $after) {
      cursor
      node { id level message loggedAt }
    }
  }
`),C=5e3,w=2e3;function T(e){return e===1?`1 new line`:`${e.toLocaleString()} new lines`}function E({executionId:e,max:t=C}){let n=(0,y.useRef)(null);n.current?.capacity!==t&&(n.current=new b(t));let[r,i]=(0,y.useState)([]),[a,o]=(0,y.useState)(!1),[s,c]=(0,y.useState)(``),l=(0,y.useRef)([]),u=(0,y.useRef)(0),d=(0,y.useRef)(null),f=(0,y.useRef)(0),g=(0,y.useRef)(null),_=(0,y.useRef)(!0),v=m(()=>{f.current&&c(T(f.current)),f.current=0},w),E=(0,y.useCallback)(()=>{d.current=null;let e=l.current;if(!e.length)return;l.current=[];let t=n.current;t.push(e),t.dropped+=u.current,f.current+=e.length+u.current,u.current=0,i(t.toArray()),t.dropped&&o(!0),v()},[v]),D=(0,y.useCallback)(()=>{d.current!==null&&cancelAnimationFrame(d.current),d.current=null,l.current=[],u.current=0,f.current=0,n.current?.clear(),i([]),o(!1),c(``)},[]);return(0,y.useEffect)(()=>(D(),()=>{d.current!==null&&cancelAnimationFrame(d.current),d.current=null}),[e,D]),h({query:S,variables:{executionId:e},cursorKind:`opaque`,cursorOf:e=>e.executionLogs.cursor,onEvent:e=>{let r=l.current;r.push(e.executionLogs.node),r.length>(n.current?.capacity??t)&&(r.shift(),u.current+=1),d.current===null&&(d.current=requestAnimationFrame(E))},onResync:D}),(0,y.useEffect)(()=>{let e=g.current;e&&_.current&&(e.scrollTop=e.scrollHeight)},[r]),(0,x.jsxs)(x.Fragment,{children:[a&&(0,x.jsxs)(`p`,{className:`muted`,children:[`Showing the last `,t.toLocaleString(),` entries.`]}),(0,x.jsxs)(`ol`,{className:`logs`,ref:g,tabIndex:0,"aria-label":`Log entries`,onScroll:e=>{let t=e.currentTarget;_.current=t.scrollHeight-t.scrollTop-t.clientHeight<24},children:[r.length===0&&(0,x.jsx)(`li`,{className:`level-DEBUG`,children:`No log entry yet.`}),r.map(e=>(0,x.jsxs)(`li`,{className:`level-${e.level}`,children:[(0,x.jsx)(`time`,{dateTime:e.loggedAt,children:p(e.loggedAt)}),(0,x.jsx)(`span`,{className:`level`,children:e.level}),` `,e.message]},e.id))]}),(0,x.jsx)(`p`,{className:`muted log-status`,role:`status`,"aria-live":`polite`,children:s})]})}var D=s(`
  query Job($id: ID!) {
    job(id: $id) {
      id
      jobType
      name
      status
      statusReason
      dependencyStatus
      priority
      attempts
      maxAttempts
      payload
      output
      error
      createdAt
      updatedAt
      startedAt
      finishedAt
      scheduledFor
      nextEligibleAt
      waitingForHandler
      progress
      progressMessage
      workflowId
      queue { id name }
      executions {
        id
        attempt
        status
        startedAt
        finishedAt
        duration
        error
        traceback
        progress
        worker { id name }
      }
    }
  }
`),O=s(`
  subscription JobEvents($jobId: ID!, $after: ID) {
    jobStatusChanged(jobId: $jobId, after: $after) { eventId status progress progressMessage }
  }
`),k=s(`
  mutation CancelJob($id: ID!) { cancelJob(id: $id) { id status statusReason } }
`),A=s(`
  mutation RetryJob($id: ID!) { retryJob(id: $id) { id status attempts } }
`),j=[`PENDING`,`SCHEDULED`,`PROCESSING`],M=[`FAILED`,`CANCELLED`,`SKIPPED`];function N(e){return j.includes(e)}function P(e){return M.includes(e)}function F(){let{id:e=``}=n(),[{data:t,error:a},s]=r({query:D,variables:{id:e}}),[p,b]=i(k),[S,C]=i(A),[w,T]=(0,y.useState)(null),[j,M]=(0,y.useState)(null),F=m(()=>s({requestPolicy:`network-only`}),1e3);g(5e3),h({query:O,variables:{jobId:e},cursorOf:e=>e.jobStatusChanged.eventId,onEvent:({jobStatusChanged:e})=>{e.progress!=null&&M({progress:e.progress,message:e.progressMessage??null}),(t?.job.status!==e.status||e.progress==null)&&F()},onResync:F});let I=t?.job;if(!I)return(0,x.jsxs)(x.Fragment,{children:[(0,x.jsx)(o,{title:`Job`}),(0,x.jsx)(c,{error:a}),!a&&(0,x.jsx)(`p`,{className:`muted`,children:`Loading…`})]});let L=I.executions,R=L.at(-1),z=L.find(e=>e.id===w)??R,B=I.status===`PROCESSING`?j?.progress??I.progress:I.progress,V=I.status===`PROCESSING`?j?.message??I.progressMessage:I.progressMessage;async function H(){window.confirm(`Cancel this ${I.jobType} job?`)&&(await b({id:I.id}),F())}async function U(){await C({id:I.id}),M(null),F()}return(0,x.jsxs)(x.Fragment,{children:[(0,x.jsxs)(o,{title:`${I.jobType}${I.name?` · ${I.name}`:``}`,children:[(0,x.jsx)(d,{status:I.status}),P(I.status)&&(0,x.jsx)(`button`,{type:`button`,onClick:U,disabled:S.fetching,children:`Retry`}),N(I.status)&&(0,x.jsx)(`button`,{type:`button`,className:`danger`,onClick:H,disabled:p.fetching,children:`Cancel`})]}),(0,x.jsx)(c,{error:a??p.error??S.error}),(0,x.jsxs)(`div`,{className:`grid-2`,children:[(0,x.jsxs)(`section`,{className:`card`,"aria-labelledby":`state`,children:[(0,x.jsx)(`h2`,{id:`state`,className:`visually-hidden`,children:`State`}),(0,x.jsxs)(`dl`,{className:`facts`,children:[(0,x.jsx)(`dt`,{children:`Id`}),(0,x.jsx)(`dd`,{className:`mono`,children:I.id}),(0,x.jsx)(`dt`,{children:`Queue`}),(0,x.jsx)(`dd`,{children:(0,x.jsx)(l,{to:`/jobs?queue=${encodeURIComponent(I.queue.id)}`,children:I.queue.name})}),(0,x.jsx)(`dt`,{children:`Status`}),(0,x.jsxs)(`dd`,{children:[(0,x.jsx)(d,{status:I.status}),I.statusReason&&(0,x.jsxs)(`span`,{className:`muted`,children:[` `,I.statusReason]}),I.waitingForHandler&&(0,x.jsx)(`span`,{className:`muted`,children:` (no online worker handles this type)`})]}),(0,x.jsx)(`dt`,{children:`Dependencies`}),(0,x.jsx)(`dd`,{children:(0,x.jsx)(d,{status:I.dependencyStatus})}),(0,x.jsx)(`dt`,{children:`Priority`}),(0,x.jsx)(`dd`,{children:I.priority}),(0,x.jsx)(`dt`,{children:`Attempts`}),(0,x.jsx)(`dd`,{children:I.maxAttempts?`${I.attempts} of ${I.maxAttempts}`:I.attempts}),(0,x.jsx)(`dt`,{children:`Created`}),(0,x.jsx)(`dd`,{children:(0,x.jsx)(_,{value:I.createdAt})}),I.nextEligibleAt&&(0,x.jsxs)(x.Fragment,{children:[(0,x.jsx)(`dt`,{children:`Next try`}),(0,x.jsx)(`dd`,{children:(0,x.jsx)(_,{value:I.nextEligibleAt})})]}),(0,x.jsx)(`dt`,{children:`Started`}),(0,x.jsx)(`dd`,{children:(0,x.jsx)(_,{value:I.startedAt})}),(0,x.jsx)(`dt`,{children:`Finished`}),(0,x.jsx)(`dd`,{children:(0,x.jsx)(_,{value:I.finishedAt})}),(0,x.jsx)(`dt`,{children:`Run time`}),(0,x.jsx)(`dd`,{children:I.startedAt?(0,x.jsx)(v,{start:I.startedAt,end:I.finishedAt}):`—`}),B!=null&&(0,x.jsxs)(x.Fragment,{children:[(0,x.jsx)(`dt`,{children:`Progress`}),(0,x.jsxs)(`dd`,{children:[(0,x.jsx)(`progress`,{className:`progress`,max:1,value:B,"aria-label":`Progress`}),` `,Math.round(B*100),`% `,V??``]})]}),I.workflowId&&(0,x.jsxs)(x.Fragment,{children:[(0,x.jsx)(`dt`,{children:`Workflow`}),(0,x.jsx)(`dd`,{children:(0,x.jsx)(l,{to:`/workflows/${I.workflowId}`,children:`Open its workflow`})})]})]})]}),(0,x.jsxs)(`section`,{"aria-labelledby":`payload`,children:[(0,x.jsx)(`h2`,{id:`payload`,children:`Payload`}),(0,x.jsx)(`pre`,{tabIndex:0,children:f(I.payload)}),I.output!=null&&(0,x.jsxs)(x.Fragment,{children:[(0,x.jsx)(`h2`,{children:`Output`}),(0,x.jsx)(`pre`,{tabIndex:0,children:f(I.output)})]}),I.error&&(0,x.jsxs)(x.Fragment,{children:[(0,x.jsx)(`h2`,{children:`Error`}),(0,x.jsx)(`pre`,{tabIndex:0,className:`error-text`,children:I.error})]})]})]}),(0,x.jsx)(`h2`,{children:`Attempts`}),(0,x.jsx)(u,{caption:`Every attempt, oldest first`,rows:L,rowKey:e=>e.id,rowClassName:e=>e.id===z?.id?`selected`:void 0,empty:`Not started yet.`,columns:[{key:`attempt`,header:`Attempt`,className:`num`,render:e=>e.attempt},{key:`status`,header:`Status`,render:e=>(0,x.jsx)(d,{status:e.status})},{key:`worker`,header:`Worker`,render:e=>e.worker?.name??(0,x.jsx)(`span`,{className:`muted`,children:`—`})},{key:`started`,header:`Started`,render:e=>(0,x.jsx)(_,{value:e.startedAt})},{key:`duration`,header:`Duration`,render:e=>(0,x.jsx)(v,{seconds:e.duration,start:e.startedAt,end:e.finishedAt})},{key:`error`,header:`Error`,render:e=>e.error??``},{key:`logs`,header:`Logs`,render:e=>e.id===z?.id?(0,x.jsx)(`span`,{className:`muted`,children:`shown below`}):(0,x.jsxs)(`button`,{type:`button`,className:`link-button`,onClick:()=>T(e.id),children:[`Show logs of attempt `,e.attempt]})}]}),z?.traceback&&(0,x.jsxs)(`details`,{children:[(0,x.jsxs)(`summary`,{children:[`Traceback of attempt `,z.attempt]}),(0,x.jsx)(`pre`,{tabIndex:0,children:z.traceback})]}),z&&(0,x.jsxs)(`section`,{"aria-labelledby":`logs`,children:[(0,x.jsxs)(`h2`,{id:`logs`,children:[`Logs of attempt `,z.attempt]}),(0,x.jsx)(E,{executionId:z.id})]})]})}export{N as canCancel,P as canRetry,F as default};