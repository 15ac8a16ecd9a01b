import{S as e,g as t,h as n,i as r,n as i,p as a,t as o,x as s}from"./index-X1LKmurv.js";import{t as c}from"./DataTable-Cv4UiN72.js";import{t as l}from"./Pager--_h2fn3z.js";import{t as u}from"./Sparkline-KRKqJInB.js";import{c as d,r as f,t as p}from"./format-Boy2QifC.js";import{n as m}from"./Time-Bt9y9KMx.js";import{n as h,t as g}from"./live-BFyL_fks.js";function _(e){let t=e.countLimit,n=[e.waiting,e.running,e.scheduled,e.succeededLastHour,e.failedLastHour];return{waiting:p(e.waiting,t),running:p(e.running,t),scheduled:p(e.scheduled,t),succeededLastHour:p(e.succeededLastHour,t),failedLastHour:p(e.failedLastHour,t),oldestWait:e.oldestWaitingAge==null?`—`:f(e.oldestWaitingAge),capped:n.some(e=>e>=t)}}function v(e){for(let[t,n,r]of[[86400,`day`,`d`],[3600,`hour`,`h`],[60,`minute`,`min`]])if(e%t===0)return e===t?n:`${e/t} ${r}`;return`${e} s`}var y={QUEUE:`others wait`,CANCEL_NEWEST:`newer ones are cancelled`,CANCEL_IN_PROGRESS:`the oldest is replaced`};function b(e){if(!e)return`no limit`;let t=e.key?` for each ${e.key}`:``;return`${e.max.toLocaleString()} at a time${t} (${y[e.strategy]??e.strategy})`}function x(e){if(!e)return`no limit`;let t=e.key?` for each ${e.key}`:``;return`${e.limit.toLocaleString()} starts per ${v(e.period)}${t}`}function S(e){let t=new Map;for(let n of e)if(n.status===`ONLINE`)for(let e of n.queues)e.isActive&&t.set(e.queueId,(t.get(e.queueId)??0)+1);return t}var C=r(),w=15,T=5e3,E=50,D=100,O=a(`
  query QueuesPage($minutes: Int!, $first: Int!, $after: String, $workers: Int!) {
    queues(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          name
          priority
          isPaused
          pausedAt
          project { id name }
          settings { maxAttempts timeoutSeconds }
          concurrency { key max strategy }
          rateLimit { key limit period }
          stats { ...QueueFigures }
        }
      }
    }
    workers(status: [ONLINE], first: $workers) {
      totalCount
      pageInfo { hasNextPage }
      edges { node { id status queues { queueId isActive } } }
    }
  }
`),k=a(`
  mutation PauseQueue($id: ID!) { pauseQueue(id: $id) { id isPaused pausedAt } }
`),A=a(`
  mutation ResumeQueue($id: ID!) { resumeQueue(id: $id) { id isPaused pausedAt } }
`);function j(){let[r,a]=e(),f=r.get(`after`)||null,[{data:v,error:y,fetching:E},D]=t({query:O,variables:{minutes:w,first:50,after:f,workers:100}}),[j,N]=n(k),[P,F]=n(A);h(()=>D({requestPolicy:`network-only`}),T),g(T);let I=v?.queues.edges.map(e=>e.node)??[],L=S(v?.workers.edges.map(e=>e.node)??[]),R=v?.workers.pageInfo.hasNextPage??!1,z=j.fetching||P.fetching,B=I.some(e=>_(e.stats).capped),V=I[0]?.stats.countLimit;async function H(e){(e.isPaused?await F({id:e.id}):await N({id:e.id})).error||D({requestPolicy:`network-only`})}return(0,C.jsxs)(C.Fragment,{children:[(0,C.jsx)(i,{title:`Queues`}),(0,C.jsx)(o,{error:y??j.error??P.error}),!v&&E&&(0,C.jsx)(`p`,{className:`muted`,children:`Loading…`}),v&&(0,C.jsxs)(C.Fragment,{children:[(0,C.jsx)(c,{caption:`Queues with their live figures, limits and workers`,rows:I,rowKey:e=>e.id,rowClassName:e=>e.isPaused?`paused`:void 0,empty:`No queues yet: create one with the createQueue mutation.`,columns:[{key:`name`,header:`Queue`,render:e=>(0,C.jsxs)(C.Fragment,{children:[(0,C.jsx)(s,{to:`/jobs?queue=${encodeURIComponent(e.id)}`,children:e.name}),(0,C.jsxs)(`div`,{className:`muted`,children:[e.project.name,` · priority `,e.priority]})]})},{key:`state`,header:`State`,render:e=>e.isPaused?(0,C.jsxs)(C.Fragment,{children:[(0,C.jsx)(d,{status:`PAUSED`}),(0,C.jsxs)(`div`,{className:`muted`,children:[`since `,(0,C.jsx)(m,{value:e.pausedAt,relative:!0})]})]}):(0,C.jsx)(d,{status:`ACTIVE`})},...M(),{key:`throughput`,header:`Last ${w} min`,render:e=>(0,C.jsx)(u,{points:e.stats.throughput,label:e.name,width:120,height:24})},{key:`limits`,header:`Limits`,render:e=>(0,C.jsxs)(`dl`,{className:`limits`,children:[(0,C.jsx)(`dt`,{children:`Concurrency`}),(0,C.jsx)(`dd`,{children:b(e.concurrency)}),(0,C.jsx)(`dt`,{children:`Rate`}),(0,C.jsx)(`dd`,{children:x(e.rateLimit)})]})},{key:`workers`,header:`Workers online`,className:`num`,render:e=>(0,C.jsxs)(s,{to:`/workers`,children:[p(L.get(e.id)??0),R?`+`:``]})},{key:`actions`,header:`Actions`,render:e=>(0,C.jsx)(`button`,{type:`button`,onClick:()=>H(e),disabled:z,"aria-label":`${e.isPaused?`Resume`:`Pause`} queue ${e.name}`,children:e.isPaused?`Resume`:`Pause`})}]}),(0,C.jsx)(l,{pageInfo:v.queues.pageInfo,after:f,onPage:e=>a(e?{after:e}:{}),total:v.queues.totalCount,shown:I.length}),(0,C.jsxs)(`p`,{className:`muted`,children:[`A paused queue takes new jobs and starts none until it is resumed.`,B&&V!=null&&` Counts stop at ${p(V)}: “${p(V,V)}” means at least that many.`,R&&` Workers online: ${p(v.workers.totalCount)}, of which the first 100 are counted per queue (“3+” means at least 3).`]})]})]})}function M(){let e=e=>t=>e(_(t.stats));return[{key:`waiting`,header:`Waiting`,className:`num`,render:e(e=>e.waiting)},{key:`running`,header:`Running`,className:`num`,render:e(e=>e.running)},{key:`scheduled`,header:`Scheduled`,className:`num`,render:e(e=>e.scheduled)},{key:`ok`,header:`Succeeded (1 h)`,className:`num`,render:e(e=>e.succeededLastHour)},{key:`failed`,header:`Failed (1 h)`,className:`num`,render:e=>e.stats.failedLastHour>0?(0,C.jsx)(s,{to:`/jobs?queue=${encodeURIComponent(e.id)}&status=FAILED`,children:_(e.stats).failedLastHour}):`0`},{key:`oldest`,header:`Oldest wait`,className:`num`,render:e(e=>e.oldestWait)}]}export{E as PAGE,D as WORKERS,j as default};