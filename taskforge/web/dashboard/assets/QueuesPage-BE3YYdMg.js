import{c as e,d as t,i as n,l as r,n as i,o as a,t as o}from"./index-CzWu6WCw.js";import{t as s}from"./DataTable-JVVjhA-T.js";import{t as c}from"./Sparkline-Dh0uO1n1.js";import{c as l,r as u,t as d}from"./format-CjNX4R8f.js";import{n as f}from"./Time-QH_Nnvsb.js";import{n as p}from"./live-B5d0fFQK.js";function m(e){let t=e.countLimit,n=[e.waiting,e.running,e.scheduled,e.succeededLastHour,e.failedLastHour];return{waiting:d(e.waiting,t),running:d(e.running,t),scheduled:d(e.scheduled,t),succeededLastHour:d(e.succeededLastHour,t),failedLastHour:d(e.failedLastHour,t),oldestWait:e.oldestWaitingAge==null?`—`:u(e.oldestWaitingAge),capped:n.some(e=>e>=t)}}function h(e){for(let[t,n,r]of[[86400,`day`,`d`],[3600,`hour`,`h`],[60,`minute`,`min`]])if(e%t===0)return e===t?n:`${e/t} ${r}`;return`${e} s`}var g={QUEUE:`others wait`,CANCEL_NEWEST:`newer ones are cancelled`,CANCEL_IN_PROGRESS:`the oldest is replaced`};function _(e){if(!e)return`no limit`;let t=e.key?` for each ${e.key}`:``;return`${e.max.toLocaleString()} at a time${t} (${g[e.strategy]??e.strategy})`}function v(e){if(!e)return`no limit`;let t=e.key?` for each ${e.key}`:``;return`${e.limit.toLocaleString()} starts per ${h(e.period)}${t}`}function y(e){let t=new Map;for(let n of e)if(n.status===`ONLINE`)for(let e of n.queues)e.isActive&&t.set(e.queueId,(t.get(e.queueId)??0)+1);return t}var b=n(),x=15,S=5e3,C=a(`
  query QueuesPage($minutes: Int!) {
    queues(first: 100) {
      totalCount
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
    workers(status: [ONLINE], first: 100) {
      edges { node { id status queues { queueId isActive } } }
    }
  }
`),w=a(`
  mutation PauseQueue($id: ID!) { pauseQueue(id: $id) { id isPaused pausedAt } }
`),T=a(`
  mutation ResumeQueue($id: ID!) { resumeQueue(id: $id) { id isPaused pausedAt } }
`);function E(){let[{data:n,error:a,fetching:u},h]=r({query:C,variables:{minutes:x}}),[g,E]=e(w),[O,k]=e(T);p(()=>h({requestPolicy:`network-only`}),S);let A=n?.queues.edges.map(e=>e.node)??[],j=y(n?.workers.edges.map(e=>e.node)??[]),M=g.fetching||O.fetching,N=A.some(e=>m(e.stats).capped),P=A[0]?.stats.countLimit;async function F(e){(e.isPaused?await k({id:e.id}):await E({id:e.id})).error||h({requestPolicy:`network-only`})}return(0,b.jsxs)(b.Fragment,{children:[(0,b.jsx)(o,{title:`Queues`}),(0,b.jsx)(i,{error:a??g.error??O.error}),!n&&u&&(0,b.jsx)(`p`,{className:`muted`,children:`Loading…`}),n&&(0,b.jsxs)(b.Fragment,{children:[(0,b.jsx)(s,{caption:`Queues with their live figures, limits and workers`,rows:A,rowKey:e=>e.id,rowClassName:e=>e.isPaused?`paused`:void 0,empty:`No queues yet: create one with the createQueue mutation.`,columns:[{key:`name`,header:`Queue`,render:e=>(0,b.jsxs)(b.Fragment,{children:[(0,b.jsx)(t,{to:`/jobs?queue=${encodeURIComponent(e.id)}`,children:e.name}),(0,b.jsxs)(`div`,{className:`muted`,children:[e.project.name,` · priority `,e.priority]})]})},{key:`state`,header:`State`,render:e=>e.isPaused?(0,b.jsxs)(b.Fragment,{children:[(0,b.jsx)(l,{status:`PAUSED`}),(0,b.jsxs)(`div`,{className:`muted`,children:[`since `,(0,b.jsx)(f,{value:e.pausedAt,relative:!0})]})]}):(0,b.jsx)(l,{status:`ACTIVE`})},...D(),{key:`throughput`,header:`Last ${x} min`,render:e=>(0,b.jsx)(c,{points:e.stats.throughput,label:e.name,width:120,height:24})},{key:`limits`,header:`Limits`,render:e=>(0,b.jsxs)(`dl`,{className:`limits`,children:[(0,b.jsx)(`dt`,{children:`Concurrency`}),(0,b.jsx)(`dd`,{children:_(e.concurrency)}),(0,b.jsx)(`dt`,{children:`Rate`}),(0,b.jsx)(`dd`,{children:v(e.rateLimit)})]})},{key:`workers`,header:`Workers online`,className:`num`,render:e=>(0,b.jsx)(t,{to:`/workers`,children:j.get(e.id)??0})},{key:`actions`,header:`Actions`,render:e=>(0,b.jsx)(`button`,{type:`button`,onClick:()=>F(e),disabled:M,"aria-label":`${e.isPaused?`Resume`:`Pause`} queue ${e.name}`,children:e.isPaused?`Resume`:`Pause`})}]}),(0,b.jsxs)(`p`,{className:`muted`,children:[`A paused queue takes new jobs and starts none until it is resumed.`,N&&P!=null&&` Counts stop at ${d(P)}: “${d(P,P)}” means at least that many.`]})]})]})}function D(){let e=e=>t=>e(m(t.stats));return[{key:`waiting`,header:`Waiting`,className:`num`,render:e(e=>e.waiting)},{key:`running`,header:`Running`,className:`num`,render:e(e=>e.running)},{key:`scheduled`,header:`Scheduled`,className:`num`,render:e(e=>e.scheduled)},{key:`ok`,header:`Succeeded (1 h)`,className:`num`,render:e(e=>e.succeededLastHour)},{key:`failed`,header:`Failed (1 h)`,className:`num`,render:e=>e.stats.failedLastHour>0?(0,b.jsx)(t,{to:`/jobs?queue=${encodeURIComponent(e.id)}&status=FAILED`,children:m(e.stats).failedLastHour}):`0`},{key:`oldest`,header:`Oldest wait`,className:`num`,render:e(e=>e.oldestWait)}]}export{E as default};