import{d as e,f as t,g as n,h as r,i,l as a,n as o,o as s,p as c,t as l}from"./index-CzWu6WCw.js";import{t as u}from"./DataTable-JVVjhA-T.js";import{t as d}from"./Pager-DdHAUwMJ.js";import{a as f,c as p,i as m,l as h,n as g,r as _,s as v,t as y}from"./ScheduleForm-DPi0Wbp7.js";import{c as b,l as x}from"./format-CjNX4R8f.js";import{n as S}from"./Time-QH_Nnvsb.js";import{i as C,n as w,r as T}from"./live-B5d0fFQK.js";var E=n(r(),1),D=i(),O=25,k=3,A=s(`
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
`),j=s(`
  subscription SchedulesTicks($after: ID) {
    schedulerTicks(after: $after) { eventId scheduleId }
  }
`);function M(){let[n,r]=t(),i=p(n),s=c(),[M,P]=(0,E.useState)(!1),[{data:F,error:I,fetching:L},R]=a({query:A,variables:{first:O,after:i.after,status:i.status?[i.status]:null,type:i.type?[i.type]:null,next:k}}),z=C(()=>R({requestPolicy:`network-only`}),2e3);T({query:j,variables:{},cursorOf:e=>e.schedulerTicks.eventId,onEvent:z,onResync:z}),w(z,3e4);let B=e=>r(h({...i,after:null,...e})),V=F?.schedules.edges.map(e=>e.node)??[],H=F?.scheduleSummary;return(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(l,{title:`Schedules`,children:!M&&(0,D.jsx)(`button`,{type:`button`,className:`primary`,onClick:()=>P(!0),children:`New schedule`})}),M&&(0,D.jsx)(y,{onSaved:e=>s(`/schedules/${e}`),onCancel:()=>P(!1)}),(0,D.jsx)(o,{error:I}),H&&(0,D.jsxs)(`section`,{"aria-labelledby":`schedule-counts`,className:`cards`,children:[(0,D.jsx)(`h2`,{id:`schedule-counts`,className:`visually-hidden`,children:`Schedules by status`}),(0,D.jsx)(N,{label:`Active`,value:H.active,onClick:()=>B({status:`ACTIVE`})}),(0,D.jsx)(N,{label:`Paused`,value:H.paused,onClick:()=>B({status:`PAUSED`})}),(0,D.jsx)(N,{label:`Completed`,value:H.completed,onClick:()=>B({status:`COMPLETED`})}),(0,D.jsx)(N,{label:`Failed`,value:H.failed,onClick:()=>B({status:`FAILED`})}),(0,D.jsxs)(`div`,{className:`card stat`,children:[(0,D.jsx)(`div`,{className:`label`,children:`Due now`}),(0,D.jsx)(`div`,{className:`value`,children:H.dueNow.toLocaleString()})]})]}),(0,D.jsxs)(`form`,{className:`filters card`,"aria-label":`Filter schedules`,onSubmit:e=>e.preventDefault(),children:[(0,D.jsxs)(`label`,{children:[`Status`,(0,D.jsxs)(`select`,{value:i.status??``,onChange:e=>B({status:e.target.value||null}),children:[(0,D.jsx)(`option`,{value:``,children:`All statuses`}),_.map(e=>(0,D.jsx)(`option`,{value:e,children:x(e)},e))]})]}),(0,D.jsxs)(`label`,{children:[`Type`,(0,D.jsxs)(`select`,{value:i.type??``,onChange:e=>B({type:e.target.value||null}),children:[(0,D.jsx)(`option`,{value:``,children:`All types`}),m.map(e=>(0,D.jsx)(`option`,{value:e,children:e===`RECURRING`?`Interval`:x(e)},e))]})]})]}),!F&&L&&(0,D.jsx)(`p`,{className:`muted`,children:`Loading…`}),F&&(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(u,{caption:`Schedules`,rows:V,rowKey:e=>e.id,empty:i.status||i.type?`No schedule matches these filters.`:`No schedule yet.`,columns:[{key:`name`,header:`Schedule`,render:t=>(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(e,{to:`/schedules/${t.id}`,children:t.name}),(0,D.jsx)(`div`,{className:`muted`,children:f(t)})]})},{key:`when`,header:`When`,render:e=>(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(`code`,{children:e.expression}),(0,D.jsxs)(`div`,{className:`muted`,children:[e.type===`RECURRING`?`Interval`:x(e.type),e.type===`CRON`?` · ${e.timezone}`:``]})]})},{key:`status`,header:`Status`,render:e=>(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(b,{status:e.status}),e.pausedReason&&(0,D.jsx)(`div`,{className:`muted`,children:e.pausedReason})]})},{key:`next`,header:`Next runs`,render:e=>e.upcomingRuns.length===0?(0,D.jsx)(`span`,{className:`muted`,children:`—`}):(0,D.jsx)(`ol`,{className:`next-runs`,children:e.upcomingRuns.map(t=>(0,D.jsx)(`li`,{children:(0,D.jsx)(`time`,{dateTime:t,title:t,children:v(t,e.timezone)})},t))})},{key:`last`,header:`Last run`,render:e=>(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(S,{value:e.lastRunAt,relative:!0}),e.lastError&&(0,D.jsx)(`div`,{className:`error-text`,children:e.lastError})]})},{key:`runs`,header:`Runs`,className:`num`,render:e=>e.maxRuns==null?e.runsCount.toLocaleString():`${e.runsCount} of ${e.maxRuns}`},{key:`actions`,header:`Actions`,render:e=>(0,D.jsx)(g,{schedule:e,compact:!0})}]}),(0,D.jsx)(d,{pageInfo:F.schedules.pageInfo,after:i.after,onPage:e=>B({after:e}),total:F.schedules.totalCount,shown:V.length})]})]})}function N({label:e,value:t,onClick:n}){return(0,D.jsxs)(`div`,{className:`card stat`,children:[(0,D.jsx)(`div`,{className:`label`,children:e}),(0,D.jsx)(`div`,{className:`value`,children:(0,D.jsx)(`button`,{type:`button`,className:`link-button`,onClick:n,"aria-label":`${t} ${e.toLowerCase()}: show them`,children:t.toLocaleString()})})]})}export{M as default};