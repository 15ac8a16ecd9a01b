import{d as e,i as t,l as n,n as r,o as i,t as a}from"./index-CCry1KDu.js";import{t as o}from"./DataTable-BaKLdbft.js";import{c as s,d as c,f as l,m as u,o as d,p as f,r as p,t as m}from"./Time-DrclzSlo.js";var h=t();function g(e){let t=new Map;for(let n of e)for(let e of n){let n=t.get(e.minute)??{minute:e.minute,succeeded:0,failed:0};n.succeeded+=e.succeeded,n.failed+=e.failed,t.set(e.minute,n)}return[...t.values()].sort((e,t)=>e.minute<t.minute?-1:+(e.minute>t.minute))}function _({points:e,width:t=160,height:n=32,label:r}){let i=Math.max(1,...e.map(e=>e.succeeded+e.failed)),a=e.length?t/e.length:t,o=Math.max(1,a-1),s=`${r}: ${e.reduce((e,t)=>e+t.succeeded,0)} succeeded, ${e.reduce((e,t)=>e+t.failed,0)} failed in the last ${e.length} minutes`;return(0,h.jsxs)(`svg`,{className:`sparkline`,width:t,height:n,viewBox:`0 0 ${t} ${n}`,preserveAspectRatio:`none`,role:`img`,"aria-label":s,children:[(0,h.jsx)(`title`,{children:s}),(0,h.jsx)(`line`,{className:`baseline`,x1:0,x2:t,y1:n-.5,y2:n-.5}),e.map((e,t)=>{let r=e.succeeded/i*n,s=e.failed/i*n,c=t*a;return(0,h.jsxs)(`g`,{children:[r>0&&(0,h.jsx)(`rect`,{className:`bar-succeeded`,x:c,y:n-r,width:o,height:r}),s>0&&(0,h.jsx)(`rect`,{className:`bar-failed`,x:c,y:n-r-s,width:o,height:s})]},e.minute)})]})}var v=15,y=i(`
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
`),b=i(`
  subscription OverviewEvents($after: ID) {
    jobStatusChanged(after: $after) { eventId jobId status }
  }
`);function x(){let[{data:t,error:i,fetching:x},C]=n({query:y,variables:{minutes:v}}),w=u(()=>C({requestPolicy:`network-only`}),2e3);f({query:b,variables:{},cursorOf:e=>e.jobStatusChanged.eventId,onEvent:w,onResync:w}),l(w,15e3),c(5e3);let T=t?.queues.edges.map(e=>e.node)??[],E=t?.running.edges.map(e=>e.node)??[],D=T[0]?.stats.countLimit,O=e=>T.reduce((t,n)=>t+e(n),0),k=g(T.map(e=>e.stats.throughput));return(0,h.jsxs)(h.Fragment,{children:[(0,h.jsx)(a,{title:`Overview`}),(0,h.jsx)(r,{error:i}),!t&&x&&(0,h.jsx)(`p`,{className:`muted`,children:`Loading…`}),t&&(0,h.jsxs)(h.Fragment,{children:[(0,h.jsxs)(`section`,{"aria-labelledby":`totals`,className:`cards`,children:[(0,h.jsx)(`h2`,{id:`totals`,className:`visually-hidden`,children:`Totals`}),(0,h.jsx)(S,{label:`Waiting`,value:d(O(e=>e.stats.waiting))}),(0,h.jsx)(S,{label:`Running`,value:d(O(e=>e.stats.running))}),(0,h.jsx)(S,{label:`Scheduled`,value:d(O(e=>e.stats.scheduled))}),(0,h.jsx)(S,{label:`Succeeded in the last hour`,value:d(O(e=>e.stats.succeededLastHour))}),(0,h.jsx)(S,{label:`Failed in the last hour`,value:d(O(e=>e.stats.failedLastHour))}),(0,h.jsx)(S,{label:`Workers online`,value:t.online.totalCount.toLocaleString(),note:t.draining.totalCount?`${t.draining.totalCount} draining`:void 0,to:`/workers`}),(0,h.jsxs)(`div`,{className:`card stat`,children:[(0,h.jsxs)(`div`,{className:`label`,children:[`Throughput, last `,v,` minutes`]}),(0,h.jsx)(_,{points:k,label:`All queues`,width:240,height:40})]})]}),(0,h.jsx)(`h2`,{children:`Queues`}),(0,h.jsx)(o,{caption:`Queues and their live figures`,rows:T,rowKey:e=>e.id,empty:`No queues yet: create one with the createQueue mutation.`,columns:[{key:`name`,header:`Queue`,render:t=>(0,h.jsxs)(h.Fragment,{children:[(0,h.jsx)(e,{to:`/jobs?queue=${encodeURIComponent(t.id)}`,children:t.name}),t.isPaused&&(0,h.jsxs)(h.Fragment,{children:[` `,(0,h.jsx)(p,{status:`PAUSED`})]})]})},{key:`priority`,header:`Priority`,className:`num`,render:e=>e.priority},{key:`waiting`,header:`Waiting`,className:`num`,render:t=>(0,h.jsx)(e,{to:`/jobs?queue=${encodeURIComponent(t.id)}&status=PENDING`,children:d(t.stats.waiting,D)})},{key:`running`,header:`Running`,className:`num`,render:e=>d(e.stats.running,D)},{key:`scheduled`,header:`Scheduled`,className:`num`,render:e=>d(e.stats.scheduled,D)},{key:`ok`,header:`Succeeded (1 h)`,className:`num`,render:e=>d(e.stats.succeededLastHour,D)},{key:`failed`,header:`Failed (1 h)`,className:`num`,render:t=>t.stats.failedLastHour>0?(0,h.jsx)(e,{to:`/jobs?queue=${encodeURIComponent(t.id)}&status=FAILED`,children:d(t.stats.failedLastHour,D)}):`0`},{key:`oldest`,header:`Oldest wait`,className:`num`,render:e=>s(e.stats.oldestWaitingAge)},{key:`throughput`,header:`Last ${v} min`,render:e=>(0,h.jsx)(_,{points:e.stats.throughput,label:e.name,width:120,height:24})}]}),(0,h.jsx)(`h2`,{children:`Running jobs`}),(0,h.jsx)(o,{caption:`Jobs running now (the ten newest)`,rows:E,rowKey:e=>e.id,empty:`No job is running.`,columns:[{key:`type`,header:`Type`,render:t=>(0,h.jsx)(e,{to:`/jobs/${t.id}`,children:t.jobType})},{key:`queue`,header:`Queue`,render:e=>e.queue.name},{key:`for`,header:`Running for`,render:e=>(0,h.jsx)(m,{start:e.startedAt})},{key:`progress`,header:`Progress`,render:e=>e.progress==null?(0,h.jsx)(`span`,{className:`muted`,children:`—`}):(0,h.jsxs)(h.Fragment,{children:[(0,h.jsx)(`progress`,{className:`progress`,max:1,value:e.progress,"aria-label":`Progress of ${e.jobType}`}),` `,Math.round(e.progress*100),`% `,e.progressMessage??``]})}]}),E.length===10&&(0,h.jsx)(`p`,{children:(0,h.jsx)(e,{to:`/jobs?status=PROCESSING`,children:`All running jobs`})})]})]})}function S({label:t,value:n,note:r,to:i}){return(0,h.jsxs)(`div`,{className:`card stat`,children:[(0,h.jsx)(`div`,{className:`label`,children:t}),(0,h.jsx)(`div`,{className:`value`,children:i?(0,h.jsx)(e,{to:i,children:n}):n}),r&&(0,h.jsx)(`div`,{className:`muted`,children:r})]})}export{x as default};