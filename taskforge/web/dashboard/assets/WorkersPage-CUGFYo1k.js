import{d as e,f as t,i as n,l as r,n as i,o as a,t as o}from"./index-CzWu6WCw.js";import{t as s}from"./DataTable-JVVjhA-T.js";import{t as c}from"./Pager-DdHAUwMJ.js";import{c as l,l as u}from"./format-CjNX4R8f.js";import{n as d}from"./Time-QH_Nnvsb.js";import{n as f}from"./live-B5d0fFQK.js";var p=n(),m=50,h=5e3,g=[`ONLINE`,`DRAINING`,`OFFLINE`],_=a(`
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
`);function v(){let[n,a]=t(),v=n.get(`status`)?.toUpperCase()??``,y=g.includes(v)?v:null,b=n.get(`after`)||null,[{data:x,error:S,fetching:C},w]=r({query:_,variables:{first:m,after:b,status:y?[y]:null}});f(()=>w({requestPolicy:`network-only`}),h);let T=e=>{let t=new URLSearchParams,n=e.status===void 0?y:e.status;n&&t.set(`status`,n),e.after&&t.set(`after`,e.after),a(t)},E=x?.workers.edges.map(e=>e.node)??[];return(0,p.jsxs)(p.Fragment,{children:[(0,p.jsx)(o,{title:`Workers`}),(0,p.jsx)(`form`,{className:`filters card`,"aria-label":`Filter workers`,onSubmit:e=>e.preventDefault(),children:(0,p.jsxs)(`label`,{children:[`Status`,(0,p.jsxs)(`select`,{value:y??``,onChange:e=>T({status:e.target.value||null}),children:[(0,p.jsx)(`option`,{value:``,children:`All statuses`}),g.map(e=>(0,p.jsx)(`option`,{value:e,children:u(e)},e))]})]})}),(0,p.jsx)(i,{error:S}),!x&&C&&(0,p.jsx)(`p`,{className:`muted`,children:`Loading…`}),x&&(0,p.jsxs)(p.Fragment,{children:[(0,p.jsx)(s,{caption:`Workers`,rows:E,rowKey:e=>e.id,empty:y?`No ${u(y).toLowerCase()} worker.`:(0,p.jsxs)(p.Fragment,{children:[`No worker has registered yet: start one with `,(0,p.jsx)(`code`,{children:`taskforge worker`}),` or the Python SDK.`]}),columns:[{key:`name`,header:`Worker`,render:e=>(0,p.jsxs)(p.Fragment,{children:[(0,p.jsx)(`span`,{className:`worker-name`,children:e.name}),(0,p.jsx)(`div`,{className:`muted`,children:u(e.type)})]})},{key:`status`,header:`Status`,render:e=>(0,p.jsx)(l,{status:e.status})},{key:`health`,header:`Heartbeat`,render:e=>(0,p.jsxs)(p.Fragment,{children:[(0,p.jsx)(d,{value:e.lastHeartbeat,relative:!0}),e.status!==`OFFLINE`&&!e.isHealthy&&(0,p.jsx)(`div`,{className:`error-text`,children:`heartbeat overdue`})]})},{key:`queues`,header:`Queues`,render:t=>t.queues.length===0?(0,p.jsx)(`span`,{className:`muted`,children:`none`}):(0,p.jsx)(`ul`,{className:`plain-list`,children:t.queues.map(t=>(0,p.jsxs)(`li`,{children:[(0,p.jsx)(e,{to:`/jobs?queue=${encodeURIComponent(t.queueId)}`,children:t.queue.name}),(0,p.jsxs)(`span`,{className:`muted`,children:[` `,`weight `,t.weight,t.isActive?``:` · inactive`,t.queue.isPaused?` · queue paused`:``]})]},t.queueId))})},{key:`types`,header:`Job types`,render:e=>e.jobTypes==null?(0,p.jsx)(`span`,{className:`muted`,children:`any`}):e.jobTypes.length?e.jobTypes.join(`, `):`none`},{key:`since`,header:`Registered`,render:e=>(0,p.jsx)(d,{value:e.createdAt})}]}),(0,p.jsx)(c,{pageInfo:x.workers.pageInfo,after:b,onPage:e=>T({after:e}),total:x.workers.totalCount,shown:E.length})]})]})}export{v as default};