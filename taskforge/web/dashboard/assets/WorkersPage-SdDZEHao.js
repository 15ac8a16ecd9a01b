import{d as e,f as t,i as n,l as r,n as i,o as a,t as o}from"./index-D-6yT9Xa.js";import{t as s}from"./DataTable-CLgUGAjs.js";import{t as c}from"./Pager-CHdcIJSq.js";import{c as l,l as u}from"./format-AmdiWPID.js";import{n as d}from"./Time-DQS8vL5w.js";import{n as f,r as p}from"./live-Bmq2ZvqA.js";var m=n(),h=50,g=5e3,_=[`ONLINE`,`DRAINING`,`OFFLINE`],v=a(`
  query WorkersPage($first: Int!, $after: String, $status: [WorkerStatus!]) {
    workers(first: $first, after: $after, status: $status) {
      totalCount
      edges {
        node {
          id
          name
          type
          status
          isHealthy
          lastHeartbeat
          createdAt
          jobTypes
          queues { queueId weight isActive queue { id name isPaused } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);function y(){let[n,a]=t(),y=n.get(`status`)?.toUpperCase()??``,b=_.includes(y)?y:null,x=n.get(`after`)||null,[{data:S,error:C,fetching:w},T]=r({query:v,variables:{first:h,after:x,status:b?[b]:null}});p(()=>T({requestPolicy:`network-only`}),g),f(g);let E=e=>{let t=new URLSearchParams,n=e.status===void 0?b:e.status;n&&t.set(`status`,n),e.after&&t.set(`after`,e.after),a(t)},D=S?.workers.edges.map(e=>e.node)??[];return(0,m.jsxs)(m.Fragment,{children:[(0,m.jsx)(i,{title:`Workers`}),(0,m.jsx)(`form`,{className:`filters card`,"aria-label":`Filter workers`,onSubmit:e=>e.preventDefault(),children:(0,m.jsxs)(`label`,{children:[`Status`,(0,m.jsxs)(`select`,{value:b??``,onChange:e=>E({status:e.target.value||null}),children:[(0,m.jsx)(`option`,{value:``,children:`All statuses`}),_.map(e=>(0,m.jsx)(`option`,{value:e,children:u(e)},e))]})]})}),(0,m.jsx)(o,{error:C}),!S&&w&&(0,m.jsx)(`p`,{className:`muted`,children:`Loading…`}),S&&(0,m.jsxs)(m.Fragment,{children:[(0,m.jsx)(s,{caption:`Workers`,rows:D,rowKey:e=>e.id,empty:b?`No ${u(b).toLowerCase()} worker.`:(0,m.jsxs)(m.Fragment,{children:[`No worker has registered yet: start one with `,(0,m.jsx)(`code`,{children:`taskforge worker`}),` or the Python SDK.`]}),columns:[{key:`name`,header:`Worker`,render:e=>(0,m.jsxs)(m.Fragment,{children:[(0,m.jsx)(`span`,{className:`worker-name`,children:e.name}),(0,m.jsx)(`div`,{className:`muted`,children:u(e.type)})]})},{key:`status`,header:`Status`,render:e=>(0,m.jsx)(l,{status:e.status})},{key:`health`,header:`Heartbeat`,render:e=>(0,m.jsxs)(m.Fragment,{children:[(0,m.jsx)(d,{value:e.lastHeartbeat,relative:!0}),e.status!==`OFFLINE`&&!e.isHealthy&&(0,m.jsx)(`div`,{className:`error-text`,children:`heartbeat overdue`})]})},{key:`queues`,header:`Queues`,render:t=>t.queues.length===0?(0,m.jsx)(`span`,{className:`muted`,children:`none`}):(0,m.jsx)(`ul`,{className:`plain-list`,children:t.queues.map(t=>(0,m.jsxs)(`li`,{children:[(0,m.jsx)(e,{to:`/jobs?queue=${encodeURIComponent(t.queueId)}`,children:t.queue.name}),(0,m.jsxs)(`span`,{className:`muted`,children:[` `,`weight `,t.weight,t.isActive?``:` · inactive`,t.queue.isPaused?` · queue paused`:``]})]},t.queueId))})},{key:`types`,header:`Job types`,render:e=>e.jobTypes==null?(0,m.jsx)(`span`,{className:`muted`,children:`any`}):e.jobTypes.length?e.jobTypes.join(`, `):`none`},{key:`since`,header:`Registered`,render:e=>(0,m.jsx)(d,{value:e.createdAt})}]}),(0,m.jsx)(c,{pageInfo:S.workers.pageInfo,after:x,onPage:e=>E({after:e}),total:S.workers.totalCount,shown:D.length})]})]})}export{y as default};