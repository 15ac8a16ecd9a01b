import{D as e,E as t,S as n,g as r,i,n as a,p as o,t as s,w as c,x as l}from"./index-X1LKmurv.js";import{t as u}from"./DataTable-Cv4UiN72.js";import{t as d}from"./Pager--_h2fn3z.js";import{a as f,c as p,i as m,l as h,n as g,r as _,s as v,t as y}from"./ScheduleForm-BUMWY5eI.js";import{c as b,l as x}from"./format-Boy2QifC.js";import{n as S}from"./Time-Bt9y9KMx.js";import{i as C,n as w,r as T,t as E}from"./live-BFyL_fks.js";var D=e(t(),1),O=i(),k=25,A=3,j=o(`
  query Schedules($first: Int!, $after: String, $status: [ScheduleStatus!], $type: [ScheduleType!], $next: Int!) {
    schedules(first: $first, after: $after, status: $status, type: $type) {
      totalCount
      edges {
        node {
          id
          name
          type
          expression
          timezone
          status
          pausedReason
          jobType
          workflowDefinition
          workflowTemplate { name version }
          queueId
          runsCount
          maxRuns
          lastRunAt
          lastError
          upcomingRuns(count: $next)
        }
      }
      pageInfo { hasNextPage endCursor }
    }
    scheduleSummary { total active paused completed failed dueNow }
  }
`),M=o(`
  subscription SchedulesTicks($after: ID) {
    schedulerTicks(after: $after) { eventId scheduleId }
  }
`);function N(){let[e,t]=n(),i=p(e),o=c(),[N,F]=(0,D.useState)(!1),[{data:I,error:L,fetching:R},z]=r({query:j,variables:{first:k,after:i.after,status:i.status?[i.status]:null,type:i.type?[i.type]:null,next:A}}),B=C(()=>z({requestPolicy:`network-only`}),2e3);T({query:M,variables:{},cursorOf:e=>e.schedulerTicks.eventId,onEvent:B,onResync:B}),w(B,3e4),E(1e4);let V=e=>t(h({...i,after:null,...e})),H=I?.schedules.edges.map(e=>e.node)??[],U=I?.scheduleSummary;return(0,O.jsxs)(O.Fragment,{children:[(0,O.jsx)(a,{title:`Schedules`,children:!N&&(0,O.jsx)(`button`,{type:`button`,className:`primary`,onClick:()=>F(!0),children:`New schedule`})}),N&&(0,O.jsx)(y,{onSaved:e=>o(`/schedules/${e}`),onCancel:()=>F(!1)}),(0,O.jsx)(s,{error:L}),U&&(0,O.jsxs)(`section`,{"aria-labelledby":`schedule-counts`,className:`cards`,children:[(0,O.jsx)(`h2`,{id:`schedule-counts`,className:`visually-hidden`,children:`Schedules by status`}),(0,O.jsx)(P,{label:`Active`,value:U.active,onClick:()=>V({status:`ACTIVE`})}),(0,O.jsx)(P,{label:`Paused`,value:U.paused,onClick:()=>V({status:`PAUSED`})}),(0,O.jsx)(P,{label:`Completed`,value:U.completed,onClick:()=>V({status:`COMPLETED`})}),(0,O.jsx)(P,{label:`Failed`,value:U.failed,onClick:()=>V({status:`FAILED`})}),(0,O.jsxs)(`div`,{className:`card stat`,children:[(0,O.jsx)(`div`,{className:`label`,children:`Due now`}),(0,O.jsx)(`div`,{className:`value`,children:U.dueNow.toLocaleString()})]})]}),(0,O.jsxs)(`form`,{className:`filters card`,"aria-label":`Filter schedules`,onSubmit:e=>e.preventDefault(),children:[(0,O.jsxs)(`label`,{children:[`Status`,(0,O.jsxs)(`select`,{value:i.status??``,onChange:e=>V({status:e.target.value||null}),children:[(0,O.jsx)(`option`,{value:``,children:`All statuses`}),_.map(e=>(0,O.jsx)(`option`,{value:e,children:x(e)},e))]})]}),(0,O.jsxs)(`label`,{children:[`Type`,(0,O.jsxs)(`select`,{value:i.type??``,onChange:e=>V({type:e.target.value||null}),children:[(0,O.jsx)(`option`,{value:``,children:`All types`}),m.map(e=>(0,O.jsx)(`option`,{value:e,children:e===`RECURRING`?`Interval`:x(e)},e))]})]})]}),!I&&R&&(0,O.jsx)(`p`,{className:`muted`,children:`Loading…`}),I&&(0,O.jsxs)(O.Fragment,{children:[(0,O.jsx)(u,{caption:`Schedules`,rows:H,rowKey:e=>e.id,empty:i.status||i.type?`No schedule matches these filters.`:`No schedule yet.`,columns:[{key:`name`,header:`Schedule`,render:e=>(0,O.jsxs)(O.Fragment,{children:[(0,O.jsx)(l,{to:`/schedules/${e.id}`,children:e.name}),(0,O.jsx)(`div`,{className:`muted`,children:f(e)})]})},{key:`when`,header:`When`,render:e=>(0,O.jsxs)(O.Fragment,{children:[(0,O.jsx)(`code`,{children:e.expression}),(0,O.jsxs)(`div`,{className:`muted`,children:[e.type===`RECURRING`?`Interval`:x(e.type),e.type===`CRON`?` · ${e.timezone}`:``]})]})},{key:`status`,header:`Status`,render:e=>(0,O.jsxs)(O.Fragment,{children:[(0,O.jsx)(b,{status:e.status}),e.pausedReason&&(0,O.jsx)(`div`,{className:`muted`,children:e.pausedReason})]})},{key:`next`,header:`Next runs`,render:e=>e.upcomingRuns.length===0?(0,O.jsx)(`span`,{className:`muted`,children:`—`}):(0,O.jsx)(`ol`,{className:`next-runs`,children:e.upcomingRuns.map(t=>(0,O.jsx)(`li`,{children:(0,O.jsx)(`time`,{dateTime:t,title:t,children:v(t,e.timezone)})},t))})},{key:`last`,header:`Last run`,render:e=>(0,O.jsxs)(O.Fragment,{children:[(0,O.jsx)(S,{value:e.lastRunAt,relative:!0}),e.lastError&&(0,O.jsx)(`div`,{className:`error-text`,children:e.lastError})]})},{key:`runs`,header:`Runs`,className:`num nowrap`,render:e=>e.maxRuns==null?e.runsCount.toLocaleString():`${e.runsCount} of ${e.maxRuns}`},{key:`actions`,header:`Actions`,render:e=>(0,O.jsx)(g,{schedule:e,compact:!0})}]}),(0,O.jsx)(d,{pageInfo:I.schedules.pageInfo,after:i.after,onPage:e=>V({after:e}),total:I.schedules.totalCount,shown:H.length})]})]})}function P({label:e,value:t,onClick:n}){return(0,O.jsxs)(`div`,{className:`card stat`,children:[(0,O.jsx)(`div`,{className:`label`,children:e}),(0,O.jsx)(`div`,{className:`value`,children:(0,O.jsx)(`button`,{type:`button`,className:`link-button`,onClick:n,"aria-label":`${t} ${e.toLowerCase()}: show them`,children:t.toLocaleString()})})]})}export{N as default};