import{c as e,i as t,n,o as r,t as i,u as a}from"./index-CJXFlFVW.js";import{c as o,r as s,t as c,u as l}from"./format-IPBh2KBY.js";import{n as u,t as d}from"./Sparkline-DB9A4w__.js";import{t as f}from"./Time-qeBlWmoL.js";import{i as p,n as m,r as h,t as g}from"./live-fHu4SeHK.js";var _=t(),v=15,y=r(`
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
`),b=r(`
  subscription OverviewEvents($after: ID) {
    jobStatusChanged(after: $after) { eventId jobId status }
  }
`);function x(){let[{data:t,error:r,fetching:x},C]=e({query:y,variables:{minutes:v}}),w=p(()=>C({requestPolicy:`network-only`}),2e3);h({query:b,variables:{},cursorOf:e=>e.jobStatusChanged.eventId,onEvent:w,onResync:w}),m(w,15e3),g(5e3);let T=t?.queues.edges.map(e=>e.node)??[],E=t?.running.edges.map(e=>e.node)??[],D=T[0]?.stats.countLimit,O=e=>T.reduce((t,n)=>t+e(n),0),k=u(T.map(e=>e.stats.throughput));return(0,_.jsxs)(_.Fragment,{children:[(0,_.jsx)(i,{title:`Overview`}),(0,_.jsx)(n,{error:r}),!t&&x&&(0,_.jsx)(`p`,{className:`muted`,children:`Loading…`}),t&&(0,_.jsxs)(_.Fragment,{children:[(0,_.jsxs)(`section`,{"aria-labelledby":`totals`,className:`cards`,children:[(0,_.jsx)(`h2`,{id:`totals`,className:`visually-hidden`,children:`Totals`}),(0,_.jsx)(S,{label:`Waiting`,value:c(O(e=>e.stats.waiting))}),(0,_.jsx)(S,{label:`Running`,value:c(O(e=>e.stats.running))}),(0,_.jsx)(S,{label:`Scheduled`,value:c(O(e=>e.stats.scheduled))}),(0,_.jsx)(S,{label:`Succeeded in the last hour`,value:c(O(e=>e.stats.succeededLastHour))}),(0,_.jsx)(S,{label:`Failed in the last hour`,value:c(O(e=>e.stats.failedLastHour))}),(0,_.jsx)(S,{label:`Workers online`,value:t.online.totalCount.toLocaleString(),note:t.draining.totalCount?`${t.draining.totalCount} draining`:void 0,to:`/workers`}),(0,_.jsxs)(`div`,{className:`card stat`,children:[(0,_.jsxs)(`div`,{className:`label`,children:[`Throughput, last `,v,` minutes`]}),(0,_.jsx)(d,{points:k,label:`All queues`,width:240,height:40})]})]}),(0,_.jsx)(`h2`,{children:`Queues`}),(0,_.jsx)(l,{caption:`Queues and their live figures`,rows:T,rowKey:e=>e.id,empty:`No queues yet: create one with the createQueue mutation.`,columns:[{key:`name`,header:`Queue`,render:e=>(0,_.jsxs)(_.Fragment,{children:[(0,_.jsx)(a,{to:`/jobs?queue=${encodeURIComponent(e.id)}`,children:e.name}),e.isPaused&&(0,_.jsxs)(_.Fragment,{children:[` `,(0,_.jsx)(o,{status:`PAUSED`})]})]})},{key:`priority`,header:`Priority`,className:`num`,render:e=>e.priority},{key:`waiting`,header:`Waiting`,className:`num`,render:e=>(0,_.jsx)(a,{to:`/jobs?queue=${encodeURIComponent(e.id)}&status=PENDING`,children:c(e.stats.waiting,D)})},{key:`running`,header:`Running`,className:`num`,render:e=>c(e.stats.running,D)},{key:`scheduled`,header:`Scheduled`,className:`num`,render:e=>c(e.stats.scheduled,D)},{key:`ok`,header:`Succeeded (1 h)`,className:`num`,render:e=>c(e.stats.succeededLastHour,D)},{key:`failed`,header:`Failed (1 h)`,className:`num`,render:e=>e.stats.failedLastHour>0?(0,_.jsx)(a,{to:`/jobs?queue=${encodeURIComponent(e.id)}&status=FAILED`,children:c(e.stats.failedLastHour,D)}):`0`},{key:`oldest`,header:`Oldest wait`,className:`num`,render:e=>s(e.stats.oldestWaitingAge)},{key:`throughput`,header:`Last ${v} min`,render:e=>(0,_.jsx)(d,{points:e.stats.throughput,label:e.name,width:120,height:24})}]}),(0,_.jsx)(`h2`,{children:`Running jobs`}),(0,_.jsx)(l,{caption:`Jobs running now (the ten newest)`,rows:E,rowKey:e=>e.id,empty:`No job is running.`,columns:[{key:`type`,header:`Type`,render:e=>(0,_.jsx)(a,{to:`/jobs/${e.id}`,children:e.jobType})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`for`,header:`Running for`,render:e=>(0,_.jsx)(f,{start:e.startedAt})},{key:`progress`,header:`Progress`,render:e=>e.progress==null?(0,_.jsx)(`span`,{className:`muted`,children:`—`}):(0,_.jsxs)(_.Fragment,{children:[(0,_.jsx)(`progress`,{className:`progress`,max:1,value:e.progress,"aria-label":`Progress of ${e.jobType}`}),` `,Math.round(e.progress*100),`% `,e.progressMessage??``]})}]}),E.length===10&&(0,_.jsx)(`p`,{children:(0,_.jsx)(a,{to:`/jobs?status=PROCESSING`,children:`All running jobs`})})]})]})}function S({label:e,value:t,note:n,to:r}){return(0,_.jsxs)(`div`,{className:`card stat`,children:[(0,_.jsx)(`div`,{className:`label`,children:e}),(0,_.jsx)(`div`,{className:`value`,children:r?(0,_.jsx)(a,{to:r,children:t}):t}),n&&(0,_.jsx)(`div`,{className:`muted`,children:n})]})}export{x as default};