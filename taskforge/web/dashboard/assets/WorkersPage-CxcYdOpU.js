import{c as e,d as t,i as n,n as r,o as i,t as a,u as o}from"./index-CJXFlFVW.js";import{c as s,l as c,u as l}from"./format-IPBh2KBY.js";import{t as u}from"./Pager-_tLtB51-.js";import{n as d}from"./Time-qeBlWmoL.js";import{n as f}from"./live-fHu4SeHK.js";var p=n(),m=50,h=5e3,g=[`ONLINE`,`DRAINING`,`OFFLINE`],_=i(`
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
`);function v(){let[n,i]=t(),v=n.get(`status`)?.toUpperCase()??``,y=g.includes(v)?v:null,b=n.get(`after`)||null,[{data:x,error:S,fetching:C},w]=e({query:_,variables:{first:m,after:b,status:y?[y]:null}});f(()=>w({requestPolicy:`network-only`}),h);let T=e=>{let t=new URLSearchParams,n=e.status===void 0?y:e.status;n&&t.set(`status`,n),e.after&&t.set(`after`,e.after),i(t)},E=x?.workers.edges.map(e=>e.node)??[];return(0,p.jsxs)(p.Fragment,{children:[(0,p.jsx)(a,{title:`Workers`}),(0,p.jsx)(`form`,{className:`filters card`,"aria-label":`Filter workers`,onSubmit:e=>e.preventDefault(),children:(0,p.jsxs)(`label`,{children:[`Status`,(0,p.jsxs)(`select`,{value:y??``,onChange:e=>T({status:e.target.value||null}),children:[(0,p.jsx)(`option`,{value:``,children:`All statuses`}),g.map(e=>(0,p.jsx)(`option`,{value:e,children:c(e)},e))]})]})}),(0,p.jsx)(r,{error:S}),!x&&C&&(0,p.jsx)(`p`,{className:`muted`,children:`Loading…`}),x&&(0,p.jsxs)(p.Fragment,{children:[(0,p.jsx)(l,{caption:`Workers`,rows:E,rowKey:e=>e.id,empty:y?`No ${c(y).toLowerCase()} worker.`:(0,p.jsxs)(p.Fragment,{children:[`No worker has registered yet: start one with `,(0,p.jsx)(`code`,{children:`taskforge worker`}),` or the Python SDK.`]}),columns:[{key:`name`,header:`Worker`,render:e=>(0,p.jsxs)(p.Fragment,{children:[(0,p.jsx)(`span`,{className:`worker-name`,children:e.name}),(0,p.jsx)(`div`,{className:`muted`,children:c(e.type)})]})},{key:`status`,header:`Status`,render:e=>(0,p.jsx)(s,{status:e.status})},{key:`health`,header:`Heartbeat`,render:e=>(0,p.jsxs)(p.Fragment,{children:[(0,p.jsx)(d,{value:e.lastHeartbeat,relative:!0}),e.status!==`OFFLINE`&&!e.isHealthy&&(0,p.jsx)(`div`,{className:`error-text`,children:`heartbeat overdue`})]})},{key:`queues`,header:`Queues`,render:e=>e.queues.length===0?(0,p.jsx)(`span`,{className:`muted`,children:`none`}):(0,p.jsx)(`ul`,{className:`plain-list`,children:e.queues.map(e=>(0,p.jsxs)(`li`,{children:[(0,p.jsx)(o,{to:`/jobs?queue=${encodeURIComponent(e.queueId)}`,children:e.queue.name}),(0,p.jsxs)(`span`,{className:`muted`,children:[` `,`weight `,e.weight,e.isActive?``:` · inactive`,e.queue.isPaused?` · queue paused`:``]})]},e.queueId))})},{key:`types`,header:`Job types`,render:e=>e.jobTypes==null?(0,p.jsx)(`span`,{className:`muted`,children:`any`}):e.jobTypes.length?e.jobTypes.join(`, `):`none`},{key:`since`,header:`Registered`,render:e=>(0,p.jsx)(d,{value:e.createdAt})}]}),(0,p.jsx)(u,{pageInfo:x.workers.pageInfo,after:b,onPage:e=>T({after:e}),total:x.workers.totalCount,shown:E.length})]})]})}export{v as default};