import{S as e,g as t,i as n,n as r,p as i,t as a,x as o}from"./index-X1LKmurv.js";import{t as s}from"./DataTable-Cv4UiN72.js";import{t as c}from"./Pager--_h2fn3z.js";import{c as l,l as u}from"./format-Boy2QifC.js";import{n as d}from"./Time-Bt9y9KMx.js";import{n as f,t as p}from"./live-BFyL_fks.js";var m=n(),h=50,g=5e3,_=[`ONLINE`,`DRAINING`,`OFFLINE`],v=i(`
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
`);function y(){let[n,i]=e(),y=n.get(`status`)?.toUpperCase()??``,b=_.includes(y)?y:null,x=n.get(`after`)||null,[{data:S,error:C,fetching:w},T]=t({query:v,variables:{first:h,after:x,status:b?[b]:null}});f(()=>T({requestPolicy:`network-only`}),g),p(g);let E=e=>{let t=new URLSearchParams,n=e.status===void 0?b:e.status;n&&t.set(`status`,n),e.after&&t.set(`after`,e.after),i(t)},D=S?.workers.edges.map(e=>e.node)??[];return(0,m.jsxs)(m.Fragment,{children:[(0,m.jsx)(r,{title:`Workers`}),(0,m.jsx)(`form`,{className:`filters card`,"aria-label":`Filter workers`,onSubmit:e=>e.preventDefault(),children:(0,m.jsxs)(`label`,{children:[`Status`,(0,m.jsxs)(`select`,{value:b??``,onChange:e=>E({status:e.target.value||null}),children:[(0,m.jsx)(`option`,{value:``,children:`All statuses`}),_.map(e=>(0,m.jsx)(`option`,{value:e,children:u(e)},e))]})]})}),(0,m.jsx)(a,{error:C}),!S&&w&&(0,m.jsx)(`p`,{className:`muted`,children:`Loading…`}),S&&(0,m.jsxs)(m.Fragment,{children:[(0,m.jsx)(s,{caption:`Workers`,rows:D,rowKey:e=>e.id,empty:b?`No ${u(b).toLowerCase()} worker.`:(0,m.jsxs)(m.Fragment,{children:[`No worker has registered yet: start one with `,(0,m.jsx)(`code`,{children:`taskforge worker`}),` or the Python SDK.`]}),columns:[{key:`name`,header:`Worker`,render:e=>(0,m.jsxs)(m.Fragment,{children:[(0,m.jsx)(`span`,{className:`worker-name`,children:e.name}),(0,m.jsx)(`div`,{className:`muted`,children:u(e.type)})]})},{key:`status`,header:`Status`,render:e=>(0,m.jsx)(l,{status:e.status})},{key:`health`,header:`Heartbeat`,render:e=>(0,m.jsxs)(m.Fragment,{children:[(0,m.jsx)(d,{value:e.lastHeartbeat,relative:!0}),e.status!==`OFFLINE`&&!e.isHealthy&&(0,m.jsx)(`div`,{className:`error-text`,children:`heartbeat overdue`})]})},{key:`queues`,header:`Queues`,render:e=>e.queues.length===0?(0,m.jsx)(`span`,{className:`muted`,children:`none`}):(0,m.jsx)(`ul`,{className:`plain-list`,children:e.queues.map(e=>(0,m.jsxs)(`li`,{children:[(0,m.jsx)(o,{to:`/jobs?queue=${encodeURIComponent(e.queueId)}`,children:e.queue.name}),(0,m.jsxs)(`span`,{className:`muted`,children:[` `,`weight `,e.weight,e.isActive?``:` · inactive`,e.queue.isPaused?` · queue paused`:``]})]},e.queueId))})},{key:`types`,header:`Job types`,render:e=>e.jobTypes==null?(0,m.jsx)(`span`,{className:`muted`,children:`any`}):e.jobTypes.length?e.jobTypes.join(`, `):`none`},{key:`since`,header:`Registered`,render:e=>(0,m.jsx)(d,{value:e.createdAt})}]}),(0,m.jsx)(c,{pageInfo:S.workers.pageInfo,after:x,onPage:e=>E({after:e}),total:S.workers.totalCount,shown:D.length})]})]})}export{y as default};