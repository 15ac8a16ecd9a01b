import{c as e,d as t,i as n,n as r,p as i,t as a,u as o}from"./index-BrZcDuhW.js";import{t as s}from"./DataTable-CnielWKK.js";import{t as c}from"./Sparkline-CB-DT5XD.js";import{c as l,r as u,t as d}from"./format-CPMuzO4S.js";import{n as f}from"./Time-DYcXB6hi.js";import{n as p,r as m}from"./live-jm7IvYZY.js";function h(e){let t=e.countLimit,n=[e.waiting,e.running,e.scheduled,e.succeededLastHour,e.failedLastHour];return{waiting:d(e.waiting,t),running:d(e.running,t),scheduled:d(e.scheduled,t),succeededLastHour:d(e.succeededLastHour,t),failedLastHour:d(e.failedLastHour,t),oldestWait:e.oldestWaitingAge==null?`—`:u(e.oldestWaitingAge),capped:n.some(e=>e>=t)}}function g(e){for(let[t,n,r]of[[86400,`day`,`d`],[3600,`hour`,`h`],[60,`minute`,`min`]])if(e%t===0)return e===t?n:`${e/t} ${r}`;return`${e} s`}var _={QUEUE:`others wait`,CANCEL_NEWEST:`newer ones are cancelled`,CANCEL_IN_PROGRESS:`the oldest is replaced`};function v(e){if(!e)return`no limit`;let t=e.key?` for each ${e.key}`:``;return`${e.max.toLocaleString()} at a time${t} (${_[e.strategy]??e.strategy})`}function y(e){if(!e)return`no limit`;let t=e.key?` for each ${e.key}`:``;return`${e.limit.toLocaleString()} starts per ${g(e.period)}${t}`}function b(e){let t=new Map;for(let n of e)if(n.status===`ONLINE`)for(let e of n.queues)e.isActive&&t.set(e.queueId,(t.get(e.queueId)??0)+1);return t}var x=n(),S=15,C=5e3,w=e(`
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
`),T=e(`
  mutation PauseQueue($id: ID!) { pauseQueue(id: $id) { id isPaused pausedAt } }
`),E=e(`
  mutation ResumeQueue($id: ID!) { resumeQueue(id: $id) { id isPaused pausedAt } }
`);function D(){let[{data:e,error:n,fetching:u},g]=t({query:w,variables:{minutes:S}}),[_,D]=o(T),[k,A]=o(E);m(()=>g({requestPolicy:`network-only`}),C),p(C);let j=e?.queues.edges.map(e=>e.node)??[],M=b(e?.workers.edges.map(e=>e.node)??[]),N=_.fetching||k.fetching,P=j.some(e=>h(e.stats).capped),F=j[0]?.stats.countLimit;async function I(e){(e.isPaused?await A({id:e.id}):await D({id:e.id})).error||g({requestPolicy:`network-only`})}return(0,x.jsxs)(x.Fragment,{children:[(0,x.jsx)(r,{title:`Queues`}),(0,x.jsx)(a,{error:n??_.error??k.error}),!e&&u&&(0,x.jsx)(`p`,{className:`muted`,children:`Loading…`}),e&&(0,x.jsxs)(x.Fragment,{children:[(0,x.jsx)(s,{caption:`Queues with their live figures, limits and workers`,rows:j,rowKey:e=>e.id,rowClassName:e=>e.isPaused?`paused`:void 0,empty:`No queues yet: create one with the createQueue mutation.`,columns:[{key:`name`,header:`Queue`,render:e=>(0,x.jsxs)(x.Fragment,{children:[(0,x.jsx)(i,{to:`/jobs?queue=${encodeURIComponent(e.id)}`,children:e.name}),(0,x.jsxs)(`div`,{className:`muted`,children:[e.project.name,` · priority `,e.priority]})]})},{key:`state`,header:`State`,render:e=>e.isPaused?(0,x.jsxs)(x.Fragment,{children:[(0,x.jsx)(l,{status:`PAUSED`}),(0,x.jsxs)(`div`,{className:`muted`,children:[`since `,(0,x.jsx)(f,{value:e.pausedAt,relative:!0})]})]}):(0,x.jsx)(l,{status:`ACTIVE`})},...O(),{key:`throughput`,header:`Last ${S} min`,render:e=>(0,x.jsx)(c,{points:e.stats.throughput,label:e.name,width:120,height:24})},{key:`limits`,header:`Limits`,render:e=>(0,x.jsxs)(`dl`,{className:`limits`,children:[(0,x.jsx)(`dt`,{children:`Concurrency`}),(0,x.jsx)(`dd`,{children:v(e.concurrency)}),(0,x.jsx)(`dt`,{children:`Rate`}),(0,x.jsx)(`dd`,{children:y(e.rateLimit)})]})},{key:`workers`,header:`Workers online`,className:`num`,render:e=>(0,x.jsx)(i,{to:`/workers`,children:M.get(e.id)??0})},{key:`actions`,header:`Actions`,render:e=>(0,x.jsx)(`button`,{type:`button`,onClick:()=>I(e),disabled:N,"aria-label":`${e.isPaused?`Resume`:`Pause`} queue ${e.name}`,children:e.isPaused?`Resume`:`Pause`})}]}),(0,x.jsxs)(`p`,{className:`muted`,children:[`A paused queue takes new jobs and starts none until it is resumed.`,P&&F!=null&&` Counts stop at ${d(F)}: “${d(F,F)}” means at least that many.`]})]})]})}function O(){let e=e=>t=>e(h(t.stats));return[{key:`waiting`,header:`Waiting`,className:`num`,render:e(e=>e.waiting)},{key:`running`,header:`Running`,className:`num`,render:e(e=>e.running)},{key:`scheduled`,header:`Scheduled`,className:`num`,render:e(e=>e.scheduled)},{key:`ok`,header:`Succeeded (1 h)`,className:`num`,render:e(e=>e.succeededLastHour)},{key:`failed`,header:`Failed (1 h)`,className:`num`,render:e=>e.stats.failedLastHour>0?(0,x.jsx)(i,{to:`/jobs?queue=${encodeURIComponent(e.id)}&status=FAILED`,children:h(e.stats).failedLastHour}):`0`},{key:`oldest`,header:`Oldest wait`,className:`num`,render:e(e=>e.oldestWait)}]}export{D as default};