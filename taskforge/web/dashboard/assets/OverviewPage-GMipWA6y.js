import{c as e,d as t,i as n,n as r,p as i,t as a}from"./index-BrZcDuhW.js";import{t as o}from"./DataTable-CnielWKK.js";import{n as s,t as c}from"./Sparkline-CB-DT5XD.js";import{c as l,r as u,t as d}from"./format-CPMuzO4S.js";import{t as f}from"./Time-DYcXB6hi.js";import{a as p,i as m,n as h,r as g}from"./live-jm7IvYZY.js";var _=n(),v=15,y=e(`
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
`),b=e(`
  subscription OverviewEvents($after: ID) {
    jobStatusChanged(after: $after) { eventId jobId status }
  }
`);function x(){let[{data:e,error:n,fetching:x},C]=t({query:y,variables:{minutes:v}}),w=p(()=>C({requestPolicy:`network-only`}),2e3);m({query:b,variables:{},cursorOf:e=>e.jobStatusChanged.eventId,onEvent:w,onResync:w}),g(w,15e3),h(5e3);let T=e?.queues.edges.map(e=>e.node)??[],E=e?.running.edges.map(e=>e.node)??[],D=T[0]?.stats.countLimit,O=e=>T.reduce((t,n)=>t+e(n),0),k=s(T.map(e=>e.stats.throughput));return(0,_.jsxs)(_.Fragment,{children:[(0,_.jsx)(r,{title:`Overview`}),(0,_.jsx)(a,{error:n}),!e&&x&&(0,_.jsx)(`p`,{className:`muted`,children:`Loading…`}),e&&(0,_.jsxs)(_.Fragment,{children:[(0,_.jsxs)(`section`,{"aria-labelledby":`totals`,className:`cards`,children:[(0,_.jsx)(`h2`,{id:`totals`,className:`visually-hidden`,children:`Totals`}),(0,_.jsx)(S,{label:`Waiting`,value:d(O(e=>e.stats.waiting))}),(0,_.jsx)(S,{label:`Running`,value:d(O(e=>e.stats.running))}),(0,_.jsx)(S,{label:`Scheduled`,value:d(O(e=>e.stats.scheduled))}),(0,_.jsx)(S,{label:`Succeeded in the last hour`,value:d(O(e=>e.stats.succeededLastHour))}),(0,_.jsx)(S,{label:`Failed in the last hour`,value:d(O(e=>e.stats.failedLastHour))}),(0,_.jsx)(S,{label:`Workers online`,value:e.online.totalCount.toLocaleString(),note:e.draining.totalCount?`${e.draining.totalCount} draining`:void 0,to:`/workers`}),(0,_.jsxs)(`div`,{className:`card stat`,children:[(0,_.jsxs)(`div`,{className:`label`,children:[`Throughput, last `,v,` minutes`]}),(0,_.jsx)(c,{points:k,label:`All queues`,width:240,height:40})]})]}),(0,_.jsx)(`h2`,{children:`Queues`}),(0,_.jsx)(o,{caption:`Queues and their live figures`,rows:T,rowKey:e=>e.id,empty:`No queues yet: create one with the createQueue mutation.`,columns:[{key:`name`,header:`Queue`,render:e=>(0,_.jsxs)(_.Fragment,{children:[(0,_.jsx)(i,{to:`/jobs?queue=${encodeURIComponent(e.id)}`,children:e.name}),e.isPaused&&(0,_.jsxs)(_.Fragment,{children:[` `,(0,_.jsx)(l,{status:`PAUSED`})]})]})},{key:`priority`,header:`Priority`,className:`num`,render:e=>e.priority},{key:`waiting`,header:`Waiting`,className:`num`,render:e=>(0,_.jsx)(i,{to:`/jobs?queue=${encodeURIComponent(e.id)}&status=PENDING`,children:d(e.stats.waiting,D)})},{key:`running`,header:`Running`,className:`num`,render:e=>d(e.stats.running,D)},{key:`scheduled`,header:`Scheduled`,className:`num`,render:e=>d(e.stats.scheduled,D)},{key:`ok`,header:`Succeeded (1 h)`,className:`num`,render:e=>d(e.stats.succeededLastHour,D)},{key:`failed`,header:`Failed (1 h)`,className:`num`,render:e=>e.stats.failedLastHour>0?(0,_.jsx)(i,{to:`/jobs?queue=${encodeURIComponent(e.id)}&status=FAILED`,children:d(e.stats.failedLastHour,D)}):`0`},{key:`oldest`,header:`Oldest wait`,className:`num`,render:e=>u(e.stats.oldestWaitingAge)},{key:`throughput`,header:`Last ${v} min`,render:e=>(0,_.jsx)(c,{points:e.stats.throughput,label:e.name,width:120,height:24})}]}),(0,_.jsx)(`h2`,{children:`Running jobs`}),(0,_.jsx)(o,{caption:`Jobs running now (the ten newest)`,rows:E,rowKey:e=>e.id,empty:`No job is running.`,columns:[{key:`type`,header:`Type`,render:e=>(0,_.jsx)(i,{to:`/jobs/${e.id}`,children:e.jobType})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`for`,header:`Running for`,render:e=>(0,_.jsx)(f,{start:e.startedAt})},{key:`progress`,header:`Progress`,render:e=>e.progress==null?(0,_.jsx)(`span`,{className:`muted`,children:`—`}):(0,_.jsxs)(_.Fragment,{children:[(0,_.jsx)(`progress`,{className:`progress`,max:1,value:e.progress,"aria-label":`Progress of ${e.jobType}`}),` `,Math.round(e.progress*100),`% `,e.progressMessage??``]})}]}),E.length===10&&(0,_.jsx)(`p`,{children:(0,_.jsx)(i,{to:`/jobs?status=PROCESSING`,children:`All running jobs`})})]})]})}function S({label:e,value:t,note:n,to:r}){return(0,_.jsxs)(`div`,{className:`card stat`,children:[(0,_.jsx)(`div`,{className:`label`,children:e}),(0,_.jsx)(`div`,{className:`value`,children:r?(0,_.jsx)(i,{to:r,children:t}):t}),n&&(0,_.jsx)(`div`,{className:`muted`,children:n})]})}export{x as default};