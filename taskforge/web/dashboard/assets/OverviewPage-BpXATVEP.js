import{c as e,i as t,n,o as r,t as i,u as a}from"./index-CvMObXS2.js";import{c as o,r as s,t as c,u as l}from"./format-vddT3MQQ.js";import{n as u,t as d}from"./Sparkline-DjmyxDvI.js";import{t as f}from"./Time-CsiWPGMP.js";import{n as p,r as m,t as h}from"./live-GdMnmvPD.js";var g=t(),_=15,v=r(`
  query Overview($minutes: Int!) {
    queues(first: 100) {
      totalCount
      edges {
        node {
          id
          name
          priority
          isPaused
          stats {
            waiting
            running
            scheduled
            succeededLastHour
            failedLastHour
            oldestWaitingAge
            countLimit
            throughput(minutes: $minutes) { minute succeeded failed }
          }
        }
      }
    }
    running: jobs(first: 10, status: [PROCESSING]) {
      edges {
        node { id jobType startedAt progress progressMessage queue { id name } }
      }
    }
    online: workers(status: [ONLINE], first: 1) { totalCount }
    draining: workers(status: [DRAINING], first: 1) { totalCount }
  }
`),y=r(`
  subscription OverviewEvents($after: ID) {
    jobStatusChanged(after: $after) { eventId jobId status }
  }
`);function b(){let[{data:t,error:r,fetching:b},S]=e({query:v,variables:{minutes:_}}),C=m(()=>S({requestPolicy:`network-only`}),2e3);p({query:y,variables:{},cursorOf:e=>e.jobStatusChanged.eventId,onEvent:C,onResync:C}),h(C,15e3);let w=t?.queues.edges.map(e=>e.node)??[],T=t?.running.edges.map(e=>e.node)??[],E=w[0]?.stats.countLimit,D=e=>w.reduce((t,n)=>t+e(n),0),O=u(w.map(e=>e.stats.throughput));return(0,g.jsxs)(g.Fragment,{children:[(0,g.jsx)(i,{title:`Overview`}),(0,g.jsx)(n,{error:r}),!t&&b&&(0,g.jsx)(`p`,{className:`muted`,children:`Loading…`}),t&&(0,g.jsxs)(g.Fragment,{children:[(0,g.jsxs)(`section`,{"aria-labelledby":`totals`,className:`cards`,children:[(0,g.jsx)(`h2`,{id:`totals`,className:`visually-hidden`,children:`Totals`}),(0,g.jsx)(x,{label:`Waiting`,value:c(D(e=>e.stats.waiting))}),(0,g.jsx)(x,{label:`Running`,value:c(D(e=>e.stats.running))}),(0,g.jsx)(x,{label:`Scheduled`,value:c(D(e=>e.stats.scheduled))}),(0,g.jsx)(x,{label:`Finished in the last hour`,value:`${c(D(e=>e.stats.succeededLastHour))} ok · ${c(D(e=>e.stats.failedLastHour))} failed`}),(0,g.jsx)(x,{label:`Workers online`,value:t.online.totalCount.toLocaleString(),note:t.draining.totalCount?`${t.draining.totalCount} draining`:void 0,to:`/workers`}),(0,g.jsxs)(`div`,{className:`card stat`,children:[(0,g.jsxs)(`div`,{className:`label`,children:[`Throughput, last `,_,` minutes`]}),(0,g.jsx)(d,{points:O,label:`All queues`,width:200,height:40})]})]}),(0,g.jsx)(`h2`,{children:`Queues`}),(0,g.jsx)(l,{caption:`Queues and their live figures`,rows:w,rowKey:e=>e.id,empty:`No queues yet: create one with the createQueue mutation.`,columns:[{key:`name`,header:`Queue`,render:e=>(0,g.jsxs)(g.Fragment,{children:[(0,g.jsx)(a,{to:`/jobs?queue=${encodeURIComponent(e.id)}`,children:e.name}),e.isPaused&&(0,g.jsxs)(g.Fragment,{children:[` `,(0,g.jsx)(o,{status:`PAUSED`})]})]})},{key:`priority`,header:`Priority`,className:`num`,render:e=>e.priority},{key:`waiting`,header:`Waiting`,className:`num`,render:e=>(0,g.jsx)(a,{to:`/jobs?queue=${encodeURIComponent(e.id)}&status=PENDING`,children:c(e.stats.waiting,E)})},{key:`running`,header:`Running`,className:`num`,render:e=>c(e.stats.running,E)},{key:`scheduled`,header:`Scheduled`,className:`num`,render:e=>c(e.stats.scheduled,E)},{key:`ok`,header:`Succeeded (1 h)`,className:`num`,render:e=>c(e.stats.succeededLastHour,E)},{key:`failed`,header:`Failed (1 h)`,className:`num`,render:e=>e.stats.failedLastHour>0?(0,g.jsx)(a,{to:`/jobs?queue=${encodeURIComponent(e.id)}&status=FAILED`,children:c(e.stats.failedLastHour,E)}):`0`},{key:`oldest`,header:`Oldest wait`,className:`num`,render:e=>s(e.stats.oldestWaitingAge)},{key:`throughput`,header:`Last ${_} min`,render:e=>(0,g.jsx)(d,{points:e.stats.throughput,label:e.name,width:120,height:24})}]}),(0,g.jsx)(`h2`,{children:`Running jobs`}),(0,g.jsx)(l,{caption:`Jobs running now (the ten newest)`,rows:T,rowKey:e=>e.id,empty:`No job is running.`,columns:[{key:`type`,header:`Type`,render:e=>(0,g.jsx)(a,{to:`/jobs/${e.id}`,children:e.jobType})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`for`,header:`Running for`,render:e=>(0,g.jsx)(f,{start:e.startedAt})},{key:`progress`,header:`Progress`,render:e=>e.progress==null?(0,g.jsx)(`span`,{className:`muted`,children:`—`}):(0,g.jsxs)(g.Fragment,{children:[(0,g.jsx)(`progress`,{className:`progress`,max:1,value:e.progress,"aria-label":`Progress of ${e.jobType}`}),` `,Math.round(e.progress*100),`% `,e.progressMessage??``]})}]}),T.length===10&&(0,g.jsx)(`p`,{children:(0,g.jsx)(a,{to:`/jobs?status=PROCESSING`,children:`All running jobs`})})]})]})}function x({label:e,value:t,note:n,to:r}){return(0,g.jsxs)(`div`,{className:`card stat`,children:[(0,g.jsx)(`div`,{className:`label`,children:e}),(0,g.jsx)(`div`,{className:`value`,children:r?(0,g.jsx)(a,{to:r,children:t}):t}),n&&(0,g.jsx)(`div`,{className:`muted`,children:n})]})}export{b as default};