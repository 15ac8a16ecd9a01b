import{_ as e,c as t,d as n,g as r,i,n as a,p as o,t as s,u as c,v as l}from"./index-CyAaBT-l.js";import{t as u}from"./DataTable-TisLQFDd.js";import{a as d,i as f,n as p}from"./live-nnoOlFyU.js";import{c as m,i as h,n as g}from"./format-CMUESvfI.js";import{n as _,t as v}from"./Time-DFzSl0op.js";var y=l(e(),1),b=i(),x=t(`
  subscription ExecutionLogs($executionId: ID!, $after: String) {
    executionLogs(executionId: $executionId, after: $after) {
      cursor
      node { id level message loggedAt }
    }
  }
`),S=2e3;function C(e,t,n=S){let r=[...e,t];return r.length>n?r.slice(r.length-n):r}function w({executionId:e}){let[t,n]=(0,y.useState)([]),[r,i]=(0,y.useState)(!1),a=(0,y.useRef)(null),o=(0,y.useRef)(!0);return(0,y.useEffect)(()=>{n([]),i(!1)},[e]),f({query:x,variables:{executionId:e},cursorKind:`opaque`,cursorOf:e=>e.executionLogs.cursor,onEvent:e=>n(t=>(t.length>=2e3&&i(!0),C(t,e.executionLogs.node))),onResync:()=>n([])}),(0,y.useEffect)(()=>{let e=a.current;e&&o.current&&(e.scrollTop=e.scrollHeight)},[t]),(0,b.jsxs)(b.Fragment,{children:[r&&(0,b.jsxs)(`p`,{className:`muted`,children:[`Showing the last `,2e3.toLocaleString(),` entries.`]}),(0,b.jsxs)(`ol`,{className:`logs`,ref:a,tabIndex:0,"aria-label":`Log entries`,"aria-live":`polite`,onScroll:e=>{let t=e.currentTarget;o.current=t.scrollHeight-t.scrollTop-t.clientHeight<24},children:[t.length===0&&(0,b.jsx)(`li`,{className:`level-DEBUG`,children:`No log entry yet.`}),t.map(e=>(0,b.jsxs)(`li`,{className:`level-${e.level}`,children:[(0,b.jsx)(`time`,{dateTime:e.loggedAt,children:g(e.loggedAt)}),(0,b.jsx)(`span`,{className:`level`,children:e.level}),` `,e.message]},e.id))]})]})}var T=t(`
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
`),E=t(`
  subscription JobEvents($jobId: ID!, $after: ID) {
    jobStatusChanged(jobId: $jobId, after: $after) { eventId status progress progressMessage }
  }
`),D=t(`
  mutation CancelJob($id: ID!) { cancelJob(id: $id) { id status statusReason } }
`),O=t(`
  mutation RetryJob($id: ID!) { retryJob(id: $id) { id status attempts } }
`),k=[`PENDING`,`SCHEDULED`,`PROCESSING`],A=[`FAILED`,`CANCELLED`,`SKIPPED`];function j(e){return k.includes(e)}function M(e){return A.includes(e)}function N(){let{id:e=``}=r(),[{data:t,error:i},l]=n({query:T,variables:{id:e}}),[g,x]=c(D),[S,C]=c(O),[k,A]=(0,y.useState)(null),[N,P]=(0,y.useState)(null),F=d(()=>l({requestPolicy:`network-only`}),1e3);p(5e3),f({query:E,variables:{jobId:e},cursorOf:e=>e.jobStatusChanged.eventId,onEvent:({jobStatusChanged:e})=>{e.progress!=null&&P({progress:e.progress,message:e.progressMessage??null}),(t?.job.status!==e.status||e.progress==null)&&F()},onResync:F});let I=t?.job;if(!I)return(0,b.jsxs)(b.Fragment,{children:[(0,b.jsx)(a,{title:`Job`}),(0,b.jsx)(s,{error:i}),!i&&(0,b.jsx)(`p`,{className:`muted`,children:`Loading…`})]});let L=I.executions,R=L.at(-1),z=L.find(e=>e.id===k)??R,B=I.status===`PROCESSING`?N?.progress??I.progress:I.progress,V=I.status===`PROCESSING`?N?.message??I.progressMessage:I.progressMessage;async function H(){window.confirm(`Cancel this ${I.jobType} job?`)&&(await x({id:I.id}),F())}async function U(){await C({id:I.id}),P(null),F()}return(0,b.jsxs)(b.Fragment,{children:[(0,b.jsxs)(a,{title:`${I.jobType}${I.name?` · ${I.name}`:``}`,children:[(0,b.jsx)(m,{status:I.status}),M(I.status)&&(0,b.jsx)(`button`,{type:`button`,onClick:U,disabled:S.fetching,children:`Retry`}),j(I.status)&&(0,b.jsx)(`button`,{type:`button`,className:`danger`,onClick:H,disabled:g.fetching,children:`Cancel`})]}),(0,b.jsx)(s,{error:i??g.error??S.error}),(0,b.jsxs)(`div`,{className:`grid-2`,children:[(0,b.jsxs)(`section`,{className:`card`,"aria-labelledby":`state`,children:[(0,b.jsx)(`h2`,{id:`state`,className:`visually-hidden`,children:`State`}),(0,b.jsxs)(`dl`,{className:`facts`,children:[(0,b.jsx)(`dt`,{children:`Id`}),(0,b.jsx)(`dd`,{className:`mono`,children:I.id}),(0,b.jsx)(`dt`,{children:`Queue`}),(0,b.jsx)(`dd`,{children:(0,b.jsx)(o,{to:`/jobs?queue=${encodeURIComponent(I.queue.id)}`,children:I.queue.name})}),(0,b.jsx)(`dt`,{children:`Status`}),(0,b.jsxs)(`dd`,{children:[(0,b.jsx)(m,{status:I.status}),I.statusReason&&(0,b.jsxs)(`span`,{className:`muted`,children:[` `,I.statusReason]}),I.waitingForHandler&&(0,b.jsx)(`span`,{className:`muted`,children:` (no online worker handles this type)`})]}),(0,b.jsx)(`dt`,{children:`Dependencies`}),(0,b.jsx)(`dd`,{children:(0,b.jsx)(m,{status:I.dependencyStatus})}),(0,b.jsx)(`dt`,{children:`Priority`}),(0,b.jsx)(`dd`,{children:I.priority}),(0,b.jsx)(`dt`,{children:`Attempts`}),(0,b.jsx)(`dd`,{children:I.maxAttempts?`${I.attempts} of ${I.maxAttempts}`:I.attempts}),(0,b.jsx)(`dt`,{children:`Created`}),(0,b.jsx)(`dd`,{children:(0,b.jsx)(_,{value:I.createdAt})}),I.nextEligibleAt&&(0,b.jsxs)(b.Fragment,{children:[(0,b.jsx)(`dt`,{children:`Next try`}),(0,b.jsx)(`dd`,{children:(0,b.jsx)(_,{value:I.nextEligibleAt})})]}),(0,b.jsx)(`dt`,{children:`Started`}),(0,b.jsx)(`dd`,{children:(0,b.jsx)(_,{value:I.startedAt})}),(0,b.jsx)(`dt`,{children:`Finished`}),(0,b.jsx)(`dd`,{children:(0,b.jsx)(_,{value:I.finishedAt})}),(0,b.jsx)(`dt`,{children:`Run time`}),(0,b.jsx)(`dd`,{children:I.startedAt?(0,b.jsx)(v,{start:I.startedAt,end:I.finishedAt}):`—`}),B!=null&&(0,b.jsxs)(b.Fragment,{children:[(0,b.jsx)(`dt`,{children:`Progress`}),(0,b.jsxs)(`dd`,{children:[(0,b.jsx)(`progress`,{className:`progress`,max:1,value:B,"aria-label":`Progress`}),` `,Math.round(B*100),`% `,V??``]})]}),I.workflowId&&(0,b.jsxs)(b.Fragment,{children:[(0,b.jsx)(`dt`,{children:`Workflow`}),(0,b.jsx)(`dd`,{children:(0,b.jsx)(o,{to:`/workflows/${I.workflowId}`,children:`Open its workflow`})})]})]})]}),(0,b.jsxs)(`section`,{"aria-labelledby":`payload`,children:[(0,b.jsx)(`h2`,{id:`payload`,children:`Payload`}),(0,b.jsx)(`pre`,{tabIndex:0,children:h(I.payload)}),I.output!=null&&(0,b.jsxs)(b.Fragment,{children:[(0,b.jsx)(`h2`,{children:`Output`}),(0,b.jsx)(`pre`,{tabIndex:0,children:h(I.output)})]}),I.error&&(0,b.jsxs)(b.Fragment,{children:[(0,b.jsx)(`h2`,{children:`Error`}),(0,b.jsx)(`pre`,{tabIndex:0,className:`error-text`,children:I.error})]})]})]}),(0,b.jsx)(`h2`,{children:`Attempts`}),(0,b.jsx)(u,{caption:`Every attempt, oldest first`,rows:L,rowKey:e=>e.id,rowClassName:e=>e.id===z?.id?`selected`:void 0,empty:`Not started yet.`,columns:[{key:`attempt`,header:`Attempt`,className:`num`,render:e=>e.attempt},{key:`status`,header:`Status`,render:e=>(0,b.jsx)(m,{status:e.status})},{key:`worker`,header:`Worker`,render:e=>e.worker?.name??(0,b.jsx)(`span`,{className:`muted`,children:`—`})},{key:`started`,header:`Started`,render:e=>(0,b.jsx)(_,{value:e.startedAt})},{key:`duration`,header:`Duration`,render:e=>(0,b.jsx)(v,{seconds:e.duration,start:e.startedAt,end:e.finishedAt})},{key:`error`,header:`Error`,render:e=>e.error??``},{key:`logs`,header:`Logs`,render:e=>e.id===z?.id?(0,b.jsx)(`span`,{className:`muted`,children:`shown below`}):(0,b.jsxs)(`button`,{type:`button`,className:`link-button`,onClick:()=>A(e.id),children:[`Show logs of attempt `,e.attempt]})}]}),z?.traceback&&(0,b.jsxs)(`details`,{children:[(0,b.jsxs)(`summary`,{children:[`Traceback of attempt `,z.attempt]}),(0,b.jsx)(`pre`,{tabIndex:0,children:z.traceback})]}),z&&(0,b.jsxs)(`section`,{"aria-labelledby":`logs`,children:[(0,b.jsxs)(`h2`,{id:`logs`,children:[`Logs of attempt `,z.attempt]}),(0,b.jsx)(w,{executionId:z.id})]})]})}export{j as canCancel,M as canRetry,N as default};