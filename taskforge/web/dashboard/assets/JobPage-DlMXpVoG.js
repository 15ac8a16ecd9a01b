import{c as e,h as t,i as n,m as r,n as i,o as a,p as o,s,t as c,u as l}from"./index-CvMObXS2.js";import{c as u,i as d,n as f,u as p}from"./format-vddT3MQQ.js";import{n as m,r as h}from"./live-GdMnmvPD.js";import{n as g,t as _}from"./Time-CsiWPGMP.js";var v=t(r(),1),y=n(),b=a(`
  subscription ExecutionLogs($executionId: ID!, $after: String) {
    executionLogs(executionId: $executionId, after: $after) {
      cursor
      node { id level message loggedAt }
    }
  }
`),x=2e3;function S(e,t,n=x){let r=[...e,t];return r.length>n?r.slice(r.length-n):r}function C({executionId:e}){let[t,n]=(0,v.useState)([]),[r,i]=(0,v.useState)(!1),a=(0,v.useRef)(null),o=(0,v.useRef)(!0);return(0,v.useEffect)(()=>{n([]),i(!1)},[e]),m({query:b,variables:{executionId:e},cursorKind:`opaque`,cursorOf:e=>e.executionLogs.cursor,onEvent:e=>n(t=>(t.length>=2e3&&i(!0),S(t,e.executionLogs.node))),onResync:()=>n([])}),(0,v.useEffect)(()=>{let e=a.current;e&&o.current&&(e.scrollTop=e.scrollHeight)},[t]),(0,y.jsxs)(y.Fragment,{children:[r&&(0,y.jsxs)(`p`,{className:`muted`,children:[`Showing the last `,2e3.toLocaleString(),` entries.`]}),(0,y.jsxs)(`ol`,{className:`logs`,ref:a,tabIndex:0,"aria-label":`Log entries`,"aria-live":`polite`,onScroll:e=>{let t=e.currentTarget;o.current=t.scrollHeight-t.scrollTop-t.clientHeight<24},children:[t.length===0&&(0,y.jsx)(`li`,{className:`level-DEBUG`,children:`No log entry yet.`}),t.map(e=>(0,y.jsxs)(`li`,{className:`level-${e.level}`,children:[(0,y.jsx)(`time`,{dateTime:e.loggedAt,children:f(e.loggedAt)}),(0,y.jsx)(`span`,{className:`level`,children:e.level}),` `,e.message]},e.id))]})]})}var w=a(`
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
`),T=a(`
  subscription JobEvents($jobId: ID!, $after: ID) {
    jobStatusChanged(jobId: $jobId, after: $after) { eventId status progress progressMessage }
  }
`),E=a(`
  mutation CancelJob($id: ID!) { cancelJob(id: $id) { id status statusReason } }
`),D=a(`
  mutation RetryJob($id: ID!) { retryJob(id: $id) { id status attempts } }
`),O=[`PENDING`,`SCHEDULED`,`PROCESSING`],k=[`FAILED`,`CANCELLED`,`SKIPPED`];function A(e){return O.includes(e)}function j(e){return k.includes(e)}function M(){let{id:t=``}=o(),[{data:n,error:r},a]=e({query:w,variables:{id:t}}),[f,b]=s(E),[x,S]=s(D),[O,k]=(0,v.useState)(null),[M,N]=(0,v.useState)(null),P=h(()=>a({requestPolicy:`network-only`}),1e3);m({query:T,variables:{jobId:t},cursorOf:e=>e.jobStatusChanged.eventId,onEvent:({jobStatusChanged:e})=>{e.progress!=null&&N({progress:e.progress,message:e.progressMessage??null}),(n?.job.status!==e.status||e.progress==null)&&P()},onResync:P});let F=n?.job;if(!F)return(0,y.jsxs)(y.Fragment,{children:[(0,y.jsx)(c,{title:`Job`}),(0,y.jsx)(i,{error:r}),!r&&(0,y.jsx)(`p`,{className:`muted`,children:`Loading…`})]});let I=F.executions,L=I.at(-1),R=I.find(e=>e.id===O)??L,z=F.status===`PROCESSING`?M?.progress??F.progress:F.progress,B=F.status===`PROCESSING`?M?.message??F.progressMessage:F.progressMessage;async function V(){window.confirm(`Cancel this ${F.jobType} job?`)&&(await b({id:F.id}),P())}async function H(){await S({id:F.id}),N(null),P()}return(0,y.jsxs)(y.Fragment,{children:[(0,y.jsxs)(c,{title:`${F.jobType}${F.name?` · ${F.name}`:``}`,children:[(0,y.jsx)(u,{status:F.status}),j(F.status)&&(0,y.jsx)(`button`,{type:`button`,onClick:H,disabled:x.fetching,children:`Retry`}),A(F.status)&&(0,y.jsx)(`button`,{type:`button`,className:`danger`,onClick:V,disabled:f.fetching,children:`Cancel`})]}),(0,y.jsx)(i,{error:r??f.error??x.error}),(0,y.jsxs)(`div`,{className:`grid-2`,children:[(0,y.jsxs)(`section`,{className:`card`,"aria-labelledby":`state`,children:[(0,y.jsx)(`h2`,{id:`state`,className:`visually-hidden`,children:`State`}),(0,y.jsxs)(`dl`,{className:`facts`,children:[(0,y.jsx)(`dt`,{children:`Id`}),(0,y.jsx)(`dd`,{className:`mono`,children:F.id}),(0,y.jsx)(`dt`,{children:`Queue`}),(0,y.jsx)(`dd`,{children:(0,y.jsx)(l,{to:`/jobs?queue=${encodeURIComponent(F.queue.id)}`,children:F.queue.name})}),(0,y.jsx)(`dt`,{children:`Status`}),(0,y.jsxs)(`dd`,{children:[(0,y.jsx)(u,{status:F.status}),F.statusReason&&(0,y.jsxs)(`span`,{className:`muted`,children:[` `,F.statusReason]}),F.waitingForHandler&&(0,y.jsx)(`span`,{className:`muted`,children:` (no online worker handles this type)`})]}),(0,y.jsx)(`dt`,{children:`Dependencies`}),(0,y.jsx)(`dd`,{children:(0,y.jsx)(u,{status:F.dependencyStatus})}),(0,y.jsx)(`dt`,{children:`Priority`}),(0,y.jsx)(`dd`,{children:F.priority}),(0,y.jsx)(`dt`,{children:`Attempts`}),(0,y.jsx)(`dd`,{children:F.maxAttempts?`${F.attempts} of ${F.maxAttempts}`:F.attempts}),(0,y.jsx)(`dt`,{children:`Created`}),(0,y.jsx)(`dd`,{children:(0,y.jsx)(g,{value:F.createdAt})}),F.nextEligibleAt&&(0,y.jsxs)(y.Fragment,{children:[(0,y.jsx)(`dt`,{children:`Next try`}),(0,y.jsx)(`dd`,{children:(0,y.jsx)(g,{value:F.nextEligibleAt})})]}),(0,y.jsx)(`dt`,{children:`Started`}),(0,y.jsx)(`dd`,{children:(0,y.jsx)(g,{value:F.startedAt})}),(0,y.jsx)(`dt`,{children:`Finished`}),(0,y.jsx)(`dd`,{children:(0,y.jsx)(g,{value:F.finishedAt})}),(0,y.jsx)(`dt`,{children:`Run time`}),(0,y.jsx)(`dd`,{children:F.startedAt?(0,y.jsx)(_,{start:F.startedAt,end:F.finishedAt}):`—`}),z!=null&&(0,y.jsxs)(y.Fragment,{children:[(0,y.jsx)(`dt`,{children:`Progress`}),(0,y.jsxs)(`dd`,{children:[(0,y.jsx)(`progress`,{className:`progress`,max:1,value:z,"aria-label":`Progress`}),` `,Math.round(z*100),`% `,B??``]})]}),F.workflowId&&(0,y.jsxs)(y.Fragment,{children:[(0,y.jsx)(`dt`,{children:`Workflow`}),(0,y.jsx)(`dd`,{children:(0,y.jsx)(l,{to:`/workflows/${F.workflowId}`,children:`Open its workflow`})})]})]})]}),(0,y.jsxs)(`section`,{"aria-labelledby":`payload`,children:[(0,y.jsx)(`h2`,{id:`payload`,children:`Payload`}),(0,y.jsx)(`pre`,{tabIndex:0,children:d(F.payload)}),F.output!=null&&(0,y.jsxs)(y.Fragment,{children:[(0,y.jsx)(`h2`,{children:`Output`}),(0,y.jsx)(`pre`,{tabIndex:0,children:d(F.output)})]}),F.error&&(0,y.jsxs)(y.Fragment,{children:[(0,y.jsx)(`h2`,{children:`Error`}),(0,y.jsx)(`pre`,{tabIndex:0,className:`error-text`,children:F.error})]})]})]}),(0,y.jsx)(`h2`,{children:`Attempts`}),(0,y.jsx)(p,{caption:`Every attempt, oldest first`,rows:I,rowKey:e=>e.id,rowClassName:e=>e.id===R?.id?`selected`:void 0,empty:`Not started yet.`,columns:[{key:`attempt`,header:`Attempt`,className:`num`,render:e=>e.attempt},{key:`status`,header:`Status`,render:e=>(0,y.jsx)(u,{status:e.status})},{key:`worker`,header:`Worker`,render:e=>e.worker?.name??(0,y.jsx)(`span`,{className:`muted`,children:`—`})},{key:`started`,header:`Started`,render:e=>(0,y.jsx)(g,{value:e.startedAt})},{key:`duration`,header:`Duration`,render:e=>(0,y.jsx)(_,{seconds:e.duration,start:e.startedAt,end:e.finishedAt})},{key:`error`,header:`Error`,render:e=>e.error??``},{key:`logs`,header:`Logs`,render:e=>e.id===R?.id?(0,y.jsx)(`span`,{className:`muted`,children:`shown below`}):(0,y.jsxs)(`button`,{type:`button`,className:`link-button`,onClick:()=>k(e.id),children:[`Show logs of attempt `,e.attempt]})}]}),R?.traceback&&(0,y.jsxs)(`details`,{children:[(0,y.jsxs)(`summary`,{children:[`Traceback of attempt `,R.attempt]}),(0,y.jsx)(`pre`,{tabIndex:0,children:R.traceback})]}),R&&(0,y.jsxs)(`section`,{"aria-labelledby":`logs`,children:[(0,y.jsxs)(`h2`,{id:`logs`,children:[`Logs of attempt `,R.attempt]}),(0,y.jsx)(C,{executionId:R.id})]})]})}export{A as canCancel,j as canRetry,M as default};