import{D as e,E as t,T as n,g as r,h as i,i as a,n as o,p as s,t as c,u as l,w as u,x as d}from"./index-X1LKmurv.js";import{t as f}from"./DataTable-Cv4UiN72.js";import{t as p}from"./Pager--_h2fn3z.js";import{a as m,n as h,o as g,s as _,t as v}from"./ScheduleForm-BUMWY5eI.js";import{c as y,i as b,l as x,r as S}from"./format-Boy2QifC.js";import{i as C,n as w,r as T}from"./live-BFyL_fks.js";var E=e(t(),1),D=a(),O=20,k=s(`
  query Schedule($id: ID!) {
    schedule(id: $id) {
      id
      name
      type
      expression
      timezone
      status
      pausedReason
      projectId
      queueId
      jobType
      payload
      priority
      maxAttempts
      workflowDefinition
      workflowTemplate { name version }
      input
      misfirePolicy
      overlapPolicy
      jitter
      maxRuns
      runsCount
      skippedCount
      pauseAfterFailures
      consecutiveFailures
      rateLimitPerMinute
      nextRunAt
      nextOccurrenceAt
      lastRunAt
      lastError
      deferrals
      bufferedOccurrence
      createdAt
      updatedAt
      upcomingRuns(count: 10)
    }
    queues(first: 100) { edges { node { id name } } }
  }
`),A=s(`
  query ScheduleRuns($id: ID!, $first: Int!, $after: String) {
    schedule(id: $id) {
      id
      runs(first: $first, after: $after) {
        edges {
          cursor
          node {
            occurrence
            firedAt
            job { id jobType status finishedAt }
            workflow { id name status finishedAt }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`),j=s(`
  subscription ScheduleTicks($scheduleId: ID, $after: ID) {
    schedulerTicks(scheduleId: $scheduleId, after: $after) { eventId occurrence }
  }
`),M=s(`
  mutation DeleteSchedule($id: ID!) { deleteSchedule(id: $id) }
`);function N(){let{id:e=``}=n(),t=u(),[a,s]=(0,E.useState)(!1),[_,N]=(0,E.useState)(null),[{data:L,error:R,fetching:z},B]=r({query:k,variables:{id:e}}),[V,H]=r({query:A,variables:{id:e,first:O,after:_}}),[U,W]=i(M),G=C(()=>{B({requestPolicy:`network-only`}),H({requestPolicy:`network-only`})},2e3);T({query:j,variables:{scheduleId:e},cursorOf:e=>e.schedulerTicks.eventId,onEvent:G,onResync:G}),w(()=>B({requestPolicy:`network-only`}),3e4);let K=L?.schedule,q=(0,E.useMemo)(()=>K?g(K):void 0,[K]),J=L?.queues.edges.find(e=>e.node.id===K?.queueId)?.node.name,Y=V.data?.schedule.runs;if(l(R?.graphQLErrors)===`NOT_FOUND`)return(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(o,{title:`Schedule not found`}),(0,D.jsxs)(`p`,{children:[`No schedule `,e,` in this organization (it may have been deleted). `,(0,D.jsx)(d,{to:`/schedules`,children:`All schedules`})]})]});async function X(){K&&window.confirm(`Delete the schedule ${K.name}? It will not fire again.`)&&((await W({id:K.id})).error||t(`/schedules`))}return(0,D.jsxs)(D.Fragment,{children:[(0,D.jsxs)(o,{title:K?`Schedule ${K.name}`:`Schedule`,children:[K&&(0,D.jsx)(y,{status:K.status}),K&&!a&&(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(`button`,{type:`button`,onClick:()=>s(!0),children:`Edit`}),(0,D.jsx)(`button`,{type:`button`,className:`danger`,onClick:X,disabled:U.fetching,children:`Delete`})]})]}),(0,D.jsx)(`p`,{children:(0,D.jsx)(d,{to:`/schedules`,children:`All schedules`})}),(0,D.jsx)(c,{error:R??U.error}),!L&&z&&(0,D.jsx)(`p`,{className:`muted`,children:`Loading…`}),K&&a&&q&&(0,D.jsx)(v,{scheduleId:K.id,initial:q,onSaved:()=>{s(!1),G()},onCancel:()=>s(!1)}),K&&(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(h,{schedule:K}),K.pausedReason&&(0,D.jsx)(`p`,{className:`banner banner-info`,role:`status`,children:K.pausedReason}),K.lastError&&(0,D.jsxs)(`p`,{className:`banner banner-error`,children:[`Last error: `,K.lastError]}),(0,D.jsxs)(`div`,{className:`grid-2`,children:[(0,D.jsxs)(`section`,{className:`card schedule-card`,"aria-labelledby":`timetable`,children:[(0,D.jsx)(`h2`,{id:`timetable`,children:`Timetable`}),(0,D.jsxs)(`p`,{className:`muted`,children:[`Times in `,K.timezone,`.`]}),(0,D.jsxs)(`dl`,{className:`facts`,children:[(0,D.jsx)(`dt`,{children:`Type`}),(0,D.jsx)(`dd`,{children:K.type===`RECURRING`?`Interval`:x(K.type)}),(0,D.jsx)(`dt`,{children:`Expression`}),(0,D.jsx)(`dd`,{children:(0,D.jsx)(`code`,{children:K.expression})}),(0,D.jsx)(`dt`,{children:`Timezone`}),(0,D.jsx)(`dd`,{children:K.timezone}),(0,D.jsx)(`dt`,{children:`Runs`}),(0,D.jsxs)(`dd`,{children:[K.runsCount.toLocaleString(),K.maxRuns==null?``:` of ${K.maxRuns.toLocaleString()}`,K.skippedCount>0?` · ${K.skippedCount} skipped`:``]}),(0,D.jsx)(`dt`,{children:`Last run`}),(0,D.jsx)(`dd`,{children:(0,D.jsx)(F,{value:K.lastRunAt,timezone:K.timezone})}),(0,D.jsx)(`dt`,{children:`Next run`}),(0,D.jsxs)(`dd`,{children:[(0,D.jsx)(F,{value:K.nextRunAt,timezone:K.timezone}),K.nextOccurrenceAt&&!P(K.nextOccurrenceAt,K.nextRunAt)&&(0,D.jsxs)(`span`,{className:`muted`,children:[` `,`(occurrence `,(0,D.jsx)(F,{value:K.nextOccurrenceAt,timezone:K.timezone}),`, delayed by its jitter)`]})]}),K.bufferedOccurrence&&(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(`dt`,{children:`Waiting to fire`}),(0,D.jsx)(`dd`,{children:(0,D.jsx)(F,{value:K.bufferedOccurrence,timezone:K.timezone})})]}),(0,D.jsx)(`dt`,{children:`Missed runs`}),(0,D.jsx)(`dd`,{children:x(K.misfirePolicy)}),(0,D.jsx)(`dt`,{children:`Overlap`}),(0,D.jsx)(`dd`,{children:x(K.overlapPolicy)}),(0,D.jsx)(`dt`,{children:`Jitter`}),(0,D.jsx)(`dd`,{children:K.jitter?S(K.jitter):`none`}),(0,D.jsx)(`dt`,{children:`Pause after failures`}),(0,D.jsx)(`dd`,{children:K.pauseAfterFailures==null?`never`:`${K.pauseAfterFailures} in a row (now ${K.consecutiveFailures})`})]})]}),(0,D.jsxs)(`section`,{className:`card schedule-card`,"aria-labelledby":`upcoming`,children:[(0,D.jsx)(`h2`,{id:`upcoming`,children:`Next runs`}),K.upcomingRuns.length===0?(0,D.jsx)(`p`,{className:`muted`,children:K.status===`ACTIVE`?`No run ahead.`:`None while ${x(K.status).toLowerCase()}.`}):(0,D.jsx)(`ol`,{className:`next-runs`,children:K.upcomingRuns.map(e=>(0,D.jsx)(`li`,{children:(0,D.jsx)(F,{value:e,timezone:K.timezone})},e))})]})]}),(0,D.jsxs)(`section`,{className:`card schedule-card`,"aria-labelledby":`target`,children:[(0,D.jsx)(`h2`,{id:`target`,children:`What it runs`}),(0,D.jsxs)(`p`,{children:[m(K),J&&(0,D.jsxs)(D.Fragment,{children:[` `,`on queue `,(0,D.jsx)(d,{to:`/jobs?queue=${encodeURIComponent(K.queueId??``)}`,children:J})]}),K.jobType&&` · priority ${K.priority}`]}),K.jobType?(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(`h3`,{children:`Payload`}),(0,D.jsx)(`pre`,{children:b(K.payload)})]}):(0,D.jsxs)(D.Fragment,{children:[K.workflowDefinition!=null&&(0,D.jsxs)(`details`,{children:[(0,D.jsx)(`summary`,{children:`Workflow definition`}),(0,D.jsx)(`pre`,{children:b(K.workflowDefinition)})]}),K.input!=null&&(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(`h3`,{children:`Run input`}),(0,D.jsx)(`pre`,{children:b(K.input)})]})]})]}),(0,D.jsx)(`h2`,{children:`Run history`}),(0,D.jsx)(c,{error:V.error}),(0,D.jsx)(f,{caption:`Runs of this schedule, newest occurrence first (times in ${K.timezone})`,rows:Y?.edges.map(e=>e.node)??[],rowKey:e=>e.occurrence,empty:V.error?`The run history could not be read.`:V.fetching&&!Y?`Loading…`:`It has not run yet.`,columns:[{key:`occurrence`,header:`Occurrence`,render:e=>(0,D.jsx)(F,{value:e.occurrence,timezone:K.timezone})},{key:`fired`,header:`Fired`,render:e=>e.firedAt?(0,D.jsx)(F,{value:e.firedAt,timezone:K.timezone}):(0,D.jsx)(`span`,{className:`muted`,children:`waiting (backfill)`})},{key:`run`,header:`Run`,render:I},{key:`status`,header:`Status`,render:e=>{let t=e.job?.status??e.workflow?.status;return t?(0,D.jsx)(y,{status:t}):(0,D.jsx)(`span`,{className:`muted`,children:`—`})}},{key:`finished`,header:`Finished`,render:e=>(0,D.jsx)(F,{value:e.job?.finishedAt??e.workflow?.finishedAt,timezone:K.timezone})}]}),(0,D.jsx)(p,{pageInfo:Y?.pageInfo,after:_,onPage:N})]})]})}function P(e,t){return e!=null&&t!=null&&new Date(e).getTime()===new Date(t).getTime()}function F({value:e,timezone:t}){return e?(0,D.jsx)(`time`,{dateTime:e,title:e,children:_(e,t)}):(0,D.jsx)(`span`,{className:`muted`,children:`—`})}function I(e){return e.job?(0,D.jsxs)(d,{to:`/jobs/${e.job.id}`,children:[`job `,e.job.jobType]}):e.workflow?(0,D.jsxs)(d,{to:`/workflows/${e.workflow.id}`,children:[`workflow `,e.workflow.name]}):(0,D.jsx)(`span`,{className:`muted`,children:e.firedAt?`deleted since`:`not fired yet`})}export{N as default};