import{c as e,i as t,n,o as r,t as i,u as a}from"./index-BAfJPOHS.js";import{a as o,d as s,f as c,l,p as u,r as d,s as f,t as p,u as m}from"./Time-CzQ1vUjX.js";var h=t();function g(e){let t=new Map;for(let n of e)for(let e of n){let n=t.get(e.minute)??{minute:e.minute,succeeded:0,failed:0};n.succeeded+=e.succeeded,n.failed+=e.failed,t.set(e.minute,n)}return[...t.values()].sort((e,t)=>e.minute<t.minute?-1:+(e.minute>t.minute))}function _({points:e,width:t=160,height:n=32,label:r}){let i=Math.max(1,...e.map(e=>e.succeeded+e.failed)),a=e.length?t/e.length:t,o=Math.max(1,a-1),s=`${r}: ${e.reduce((e,t)=>e+t.succeeded,0)} succeeded, ${e.reduce((e,t)=>e+t.failed,0)} failed in the last ${e.length} minutes`;return(0,h.jsxs)(`svg`,{className:`sparkline`,width:t,height:n,viewBox:`0 0 ${t} ${n}`,preserveAspectRatio:`none`,role:`img`,"aria-label":s,children:[(0,h.jsx)(`title`,{children:s}),(0,h.jsx)(`line`,{className:`baseline`,x1:0,x2:t,y1:n-.5,y2:n-.5}),e.map((e,t)=>{let r=e.succeeded/i*n,s=e.failed/i*n,c=t*a;return(0,h.jsxs)(`g`,{children:[r>0&&(0,h.jsx)(`rect`,{className:`bar-succeeded`,x:c,y:n-r,width:o,height:r}),s>0&&(0,h.jsx)(`rect`,{className:`bar-failed`,x:c,y:n-r-s,width:o,height:s})]},e.minute)})]})}var v=15,y=r(`
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
`);function x(){let[{data:t,error:r,fetching:x},C]=e({query:y,variables:{minutes:v}}),w=c(()=>C({requestPolicy:`network-only`}),2e3);s({query:b,variables:{},cursorOf:e=>e.jobStatusChanged.eventId,onEvent:w,onResync:w}),m(w,15e3),l(5e3);let T=t?.queues.edges.map(e=>e.node)??[],E=t?.running.edges.map(e=>e.node)??[],D=T[0]?.stats.countLimit,O=e=>T.reduce((t,n)=>t+e(n),0),k=g(T.map(e=>e.stats.throughput));return(0,h.jsxs)(h.Fragment,{children:[(0,h.jsx)(i,{title:`Overview`}),(0,h.jsx)(n,{error:r}),!t&&x&&(0,h.jsx)(`p`,{className:`muted`,children:`Loading…`}),t&&(0,h.jsxs)(h.Fragment,{children:[(0,h.jsxs)(`section`,{"aria-labelledby":`totals`,className:`cards`,children:[(0,h.jsx)(`h2`,{id:`totals`,className:`visually-hidden`,children:`Totals`}),(0,h.jsx)(S,{label:`Waiting`,value:o(O(e=>e.stats.waiting))}),(0,h.jsx)(S,{label:`Running`,value:o(O(e=>e.stats.running))}),(0,h.jsx)(S,{label:`Scheduled`,value:o(O(e=>e.stats.scheduled))}),(0,h.jsx)(S,{label:`Succeeded in the last hour`,value:o(O(e=>e.stats.succeededLastHour))}),(0,h.jsx)(S,{label:`Failed in the last hour`,value:o(O(e=>e.stats.failedLastHour))}),(0,h.jsx)(S,{label:`Workers online`,value:t.online.totalCount.toLocaleString(),note:t.draining.totalCount?`${t.draining.totalCount} draining`:void 0,to:`/workers`}),(0,h.jsxs)(`div`,{className:`card stat`,children:[(0,h.jsxs)(`div`,{className:`label`,children:[`Throughput, last `,v,` minutes`]}),(0,h.jsx)(_,{points:k,label:`All queues`,width:240,height:40})]})]}),(0,h.jsx)(`h2`,{children:`Queues`}),(0,h.jsx)(u,{caption:`Queues and their live figures`,rows:T,rowKey:e=>e.id,empty:`No queues yet: create one with the createQueue mutation.`,columns:[{key:`name`,header:`Queue`,render:e=>(0,h.jsxs)(h.Fragment,{children:[(0,h.jsx)(a,{to:`/jobs?queue=${encodeURIComponent(e.id)}`,children:e.name}),e.isPaused&&(0,h.jsxs)(h.Fragment,{children:[` `,(0,h.jsx)(d,{status:`PAUSED`})]})]})},{key:`priority`,header:`Priority`,className:`num`,render:e=>e.priority},{key:`waiting`,header:`Waiting`,className:`num`,render:e=>(0,h.jsx)(a,{to:`/jobs?queue=${encodeURIComponent(e.id)}&status=PENDING`,children:o(e.stats.waiting,D)})},{key:`running`,header:`Running`,className:`num`,render:e=>o(e.stats.running,D)},{key:`scheduled`,header:`Scheduled`,className:`num`,render:e=>o(e.stats.scheduled,D)},{key:`ok`,header:`Succeeded (1 h)`,className:`num`,render:e=>o(e.stats.succeededLastHour,D)},{key:`failed`,header:`Failed (1 h)`,className:`num`,render:e=>e.stats.failedLastHour>0?(0,h.jsx)(a,{to:`/jobs?queue=${encodeURIComponent(e.id)}&status=FAILED`,children:o(e.stats.failedLastHour,D)}):`0`},{key:`oldest`,header:`Oldest wait`,className:`num`,render:e=>f(e.stats.oldestWaitingAge)},{key:`throughput`,header:`Last ${v} min`,render:e=>(0,h.jsx)(_,{points:e.stats.throughput,label:e.name,width:120,height:24})}]}),(0,h.jsx)(`h2`,{children:`Running jobs`}),(0,h.jsx)(u,{caption:`Jobs running now (the ten newest)`,rows:E,rowKey:e=>e.id,empty:`No job is running.`,columns:[{key:`type`,header:`Type`,render:e=>(0,h.jsx)(a,{to:`/jobs/${e.id}`,children:e.jobType})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`for`,header:`Running for`,render:e=>(0,h.jsx)(p,{start:e.startedAt})},{key:`progress`,header:`Progress`,render:e=>e.progress==null?(0,h.jsx)(`span`,{className:`muted`,children:`—`}):(0,h.jsxs)(h.Fragment,{children:[(0,h.jsx)(`progress`,{className:`progress`,max:1,value:e.progress,"aria-label":`Progress of ${e.jobType}`}),` `,Math.round(e.progress*100),`% `,e.progressMessage??``]})}]}),E.length===10&&(0,h.jsx)(`p`,{children:(0,h.jsx)(a,{to:`/jobs?status=PROCESSING`,children:`All running jobs`})})]})]})}function S({label:e,value:t,note:n,to:r}){return(0,h.jsxs)(`div`,{className:`card stat`,children:[(0,h.jsx)(`div`,{className:`label`,children:e}),(0,h.jsx)(`div`,{className:`value`,children:r?(0,h.jsx)(a,{to:r,children:t}):t}),n&&(0,h.jsx)(`div`,{className:`muted`,children:n})]})}export{x as default};