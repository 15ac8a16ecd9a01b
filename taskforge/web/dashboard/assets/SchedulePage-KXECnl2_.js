import{a as e,c as t,f as n,h as r,i,m as a,n as o,o as s,p as c,s as l,t as u,u as d}from"./index-CJXFlFVW.js";import{c as f,i as p,l as m,r as h,u as g}from"./format-IPBh2KBY.js";import{t as _}from"./Pager-_tLtB51-.js";import{a as v,n as y,o as b,s as x,t as S}from"./ScheduleForm-C311np4D.js";import{i as C,n as w,r as T}from"./live-fHu4SeHK.js";var E=r(a(),1),D=i(),O=20,k=s(`
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
`);function N(){let{id:r=``}=c(),i=n(),[a,s]=(0,E.useState)(!1),[x,N]=(0,E.useState)(null),[{data:L,error:R,fetching:z},B]=t({query:k,variables:{id:r}}),[V,H]=t({query:A,variables:{id:r,first:O,after:x}}),[U,W]=l(M),G=C(()=>{B({requestPolicy:`network-only`}),H({requestPolicy:`network-only`})},2e3);T({query:j,variables:{scheduleId:r},cursorOf:e=>e.schedulerTicks.eventId,onEvent:G,onResync:G}),w(()=>B({requestPolicy:`network-only`}),3e4);let K=L?.schedule,q=(0,E.useMemo)(()=>K?b(K):void 0,[K]),J=L?.queues.edges.find(e=>e.node.id===K?.queueId)?.node.name,Y=V.data?.schedule.runs;if(e(R?.graphQLErrors)===`NOT_FOUND`)return(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(u,{title:`Schedule not found`}),(0,D.jsxs)(`p`,{children:[`No schedule `,r,` in this organization (it may have been deleted). `,(0,D.jsx)(d,{to:`/schedules`,children:`All schedules`})]})]});async function X(){K&&window.confirm(`Delete the schedule ${K.name}? It will not fire again.`)&&((await W({id:K.id})).error||i(`/schedules`))}return(0,D.jsxs)(D.Fragment,{children:[(0,D.jsxs)(u,{title:K?`Schedule ${K.name}`:`Schedule`,children:[K&&(0,D.jsx)(f,{status:K.status}),K&&!a&&(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(`button`,{type:`button`,onClick:()=>s(!0),children:`Edit`}),(0,D.jsx)(`button`,{type:`button`,className:`danger`,onClick:X,disabled:U.fetching,children:`Delete`})]})]}),(0,D.jsx)(`p`,{children:(0,D.jsx)(d,{to:`/schedules`,children:`All schedules`})}),(0,D.jsx)(o,{error:R??U.error}),!L&&z&&(0,D.jsx)(`p`,{className:`muted`,children:`Loading…`}),K&&a&&q&&(0,D.jsx)(S,{scheduleId:K.id,initial:q,onSaved:()=>{s(!1),G()},onCancel:()=>s(!1)}),K&&(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(y,{schedule:K}),K.pausedReason&&(0,D.jsx)(`p`,{className:`banner banner-info`,role:`status`,children:K.pausedReason}),K.lastError&&(0,D.jsxs)(`p`,{className:`banner banner-error`,children:[`Last error: `,K.lastError]}),(0,D.jsxs)(`div`,{className:`grid-2`,children:[(0,D.jsxs)(`section`,{className:`card schedule-card`,"aria-labelledby":`timetable`,children:[(0,D.jsx)(`h2`,{id:`timetable`,children:`Timetable`}),(0,D.jsxs)(`p`,{className:`muted`,children:[`Times in `,K.timezone,`.`]}),(0,D.jsxs)(`dl`,{className:`facts`,children:[(0,D.jsx)(`dt`,{children:`Type`}),(0,D.jsx)(`dd`,{children:K.type===`RECURRING`?`Interval`:m(K.type)}),(0,D.jsx)(`dt`,{children:`Expression`}),(0,D.jsx)(`dd`,{children:(0,D.jsx)(`code`,{children:K.expression})}),(0,D.jsx)(`dt`,{children:`Timezone`}),(0,D.jsx)(`dd`,{children:K.timezone}),(0,D.jsx)(`dt`,{children:`Runs`}),(0,D.jsxs)(`dd`,{children:[K.runsCount.toLocaleString(),K.maxRuns==null?``:` of ${K.maxRuns.toLocaleString()}`,K.skippedCount>0?` · ${K.skippedCount} skipped`:``]}),(0,D.jsx)(`dt`,{children:`Last run`}),(0,D.jsx)(`dd`,{children:(0,D.jsx)(F,{value:K.lastRunAt,timezone:K.timezone})}),(0,D.jsx)(`dt`,{children:`Next run`}),(0,D.jsxs)(`dd`,{children:[(0,D.jsx)(F,{value:K.nextRunAt,timezone:K.timezone}),K.nextOccurrenceAt&&!P(K.nextOccurrenceAt,K.nextRunAt)&&(0,D.jsxs)(`span`,{className:`muted`,children:[` `,`(occurrence `,(0,D.jsx)(F,{value:K.nextOccurrenceAt,timezone:K.timezone}),`, delayed by its jitter)`]})]}),K.bufferedOccurrence&&(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(`dt`,{children:`Waiting to fire`}),(0,D.jsx)(`dd`,{children:(0,D.jsx)(F,{value:K.bufferedOccurrence,timezone:K.timezone})})]}),(0,D.jsx)(`dt`,{children:`Missed runs`}),(0,D.jsx)(`dd`,{children:m(K.misfirePolicy)}),(0,D.jsx)(`dt`,{children:`Overlap`}),(0,D.jsx)(`dd`,{children:m(K.overlapPolicy)}),(0,D.jsx)(`dt`,{children:`Jitter`}),(0,D.jsx)(`dd`,{children:K.jitter?h(K.jitter):`none`}),(0,D.jsx)(`dt`,{children:`Pause after failures`}),(0,D.jsx)(`dd`,{children:K.pauseAfterFailures==null?`never`:`${K.pauseAfterFailures} in a row (now ${K.consecutiveFailures})`})]})]}),(0,D.jsxs)(`section`,{className:`card schedule-card`,"aria-labelledby":`upcoming`,children:[(0,D.jsx)(`h2`,{id:`upcoming`,children:`Next runs`}),K.upcomingRuns.length===0?(0,D.jsx)(`p`,{className:`muted`,children:K.status===`ACTIVE`?`No run ahead.`:`None while ${m(K.status).toLowerCase()}.`}):(0,D.jsx)(`ol`,{className:`next-runs`,children:K.upcomingRuns.map(e=>(0,D.jsx)(`li`,{children:(0,D.jsx)(F,{value:e,timezone:K.timezone})},e))})]})]}),(0,D.jsxs)(`section`,{className:`card schedule-card`,"aria-labelledby":`target`,children:[(0,D.jsx)(`h2`,{id:`target`,children:`What it runs`}),(0,D.jsxs)(`p`,{children:[v(K),J&&(0,D.jsxs)(D.Fragment,{children:[` `,`on queue `,(0,D.jsx)(d,{to:`/jobs?queue=${encodeURIComponent(K.queueId??``)}`,children:J})]}),K.jobType&&` · priority ${K.priority}`]}),K.jobType?(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(`h3`,{children:`Payload`}),(0,D.jsx)(`pre`,{children:p(K.payload)})]}):(0,D.jsxs)(D.Fragment,{children:[K.workflowDefinition!=null&&(0,D.jsxs)(`details`,{children:[(0,D.jsx)(`summary`,{children:`Workflow definition`}),(0,D.jsx)(`pre`,{children:p(K.workflowDefinition)})]}),K.input!=null&&(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(`h3`,{children:`Run input`}),(0,D.jsx)(`pre`,{children:p(K.input)})]})]})]}),(0,D.jsx)(`h2`,{children:`Run history`}),(0,D.jsx)(o,{error:V.error}),(0,D.jsx)(g,{caption:`Runs of this schedule, newest occurrence first (times in ${K.timezone})`,rows:Y?.edges.map(e=>e.node)??[],rowKey:e=>e.occurrence,empty:V.error?`The run history could not be read.`:V.fetching&&!Y?`Loading…`:`It has not run yet.`,columns:[{key:`occurrence`,header:`Occurrence`,render:e=>(0,D.jsx)(F,{value:e.occurrence,timezone:K.timezone})},{key:`fired`,header:`Fired`,render:e=>e.firedAt?(0,D.jsx)(F,{value:e.firedAt,timezone:K.timezone}):(0,D.jsx)(`span`,{className:`muted`,children:`waiting (backfill)`})},{key:`run`,header:`Run`,render:I},{key:`status`,header:`Status`,render:e=>{let t=e.job?.status??e.workflow?.status;return t?(0,D.jsx)(f,{status:t}):(0,D.jsx)(`span`,{className:`muted`,children:`—`})}},{key:`finished`,header:`Finished`,render:e=>(0,D.jsx)(F,{value:e.job?.finishedAt??e.workflow?.finishedAt,timezone:K.timezone})}]}),(0,D.jsx)(_,{pageInfo:Y?.pageInfo,after:x,onPage:N})]})]})}function P(e,t){return e!=null&&t!=null&&new Date(e).getTime()===new Date(t).getTime()}function F({value:e,timezone:t}){return e?(0,D.jsx)(`time`,{dateTime:e,title:e,children:x(e,t)}):(0,D.jsx)(`span`,{className:`muted`,children:`—`})}function I(e){return e.job?(0,D.jsxs)(d,{to:`/jobs/${e.job.id}`,children:[`job `,e.job.jobType]}):e.workflow?(0,D.jsxs)(d,{to:`/workflows/${e.workflow.id}`,children:[`workflow `,e.workflow.name]}):(0,D.jsx)(`span`,{className:`muted`,children:e.firedAt?`deleted since`:`not fired yet`})}export{N as default};