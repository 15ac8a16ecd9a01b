/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation EnqueueJob($input: EnqueueJobInput!) {\n    enqueueJob(input: $input) { id status jobType }\n  }\n": typeof types.EnqueueJobDocument,
    "\n  subscription ExecutionLogs($executionId: ID!, $after: String) {\n    executionLogs(executionId: $executionId, after: $after) {\n      cursor\n      node { id level message loggedAt }\n    }\n  }\n": typeof types.ExecutionLogsDocument,
    "\n  query AdminApiKeys($first: Int!, $after: String) {\n    apiKeys(first: $first, after: $after) {\n      totalCount\n      edges { node { id name prefix permissions projectId createdAt expiresAt lastUsedAt revokedAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n    projects(first: 100) { edges { node { id name } } }\n  }\n": typeof types.AdminApiKeysDocument,
    "\n  mutation CreateApiKey($name: String!, $permissions: [String!]!, $projectId: ID, $expiresAt: DateTime) {\n    createApiKey(name: $name, permissions: $permissions, projectId: $projectId, expiresAt: $expiresAt) {\n      secret\n      apiKey { id name prefix }\n    }\n  }\n": typeof types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }\n": typeof types.RevokeApiKeyDocument,
    "\n  query AuditLog($first: Int!, $after: String, $action: String) {\n    auditLog(first: $first, after: $after, action: $action) {\n      totalCount\n      edges { node { id createdAt action targetType targetId actorUserId actorApiKeyId details } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.AuditLogDocument,
    "\n  query AuditActors {\n    users(first: 100) { edges { node { id email } } }\n    apiKeys(first: 100) { edges { node { id name } } }\n  }\n": typeof types.AuditActorsDocument,
    "\n  query AdminUsage {\n    viewer {\n      organization {\n        id\n        name\n        billingEmail\n        subscription {\n          tier\n          currentPeriodEnd\n          limits { maxJobsPerPeriod maxWorkers maxSchedules }\n          usage { jobsThisPeriod workers }\n        }\n      }\n    }\n    scheduleSummary { total }\n  }\n": typeof types.AdminUsageDocument,
    "\n  query AdminUsers($first: Int!, $after: String) {\n    users(first: $first, after: $after) {\n      totalCount\n      edges { node { id email name role active deactivatedAt createdAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.AdminUsersDocument,
    "\n  query AdminInvitations($first: Int!, $after: String) {\n    invitations(first: $first, after: $after) {\n      totalCount\n      edges { node { id email role createdAt expiresAt acceptedAt revokedAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.AdminInvitationsDocument,
    "\n  mutation UpdateUserRole($id: ID!, $role: UserRole!) { updateUserRole(id: $id, role: $role) { id role } }\n": typeof types.UpdateUserRoleDocument,
    "\n  mutation DeactivateUser($id: ID!) { deactivateUser(id: $id) { id active deactivatedAt } }\n": typeof types.DeactivateUserDocument,
    "\n  mutation InviteUser($email: String!, $role: UserRole!) {\n    inviteUser(email: $email, role: $role) { token invitation { id email role expiresAt } }\n  }\n": typeof types.InviteUserDocument,
    "\n  mutation RevokeInvitation($id: ID!) { revokeInvitation(id: $id) { id revokedAt } }\n": typeof types.RevokeInvitationDocument,
    "\n  mutation PauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) { id status pausedReason nextRunAt updatedAt }\n  }\n": typeof types.PauseScheduleDocument,
    "\n  mutation ResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) { id status pausedReason nextRunAt consecutiveFailures updatedAt }\n  }\n": typeof types.ResumeScheduleDocument,
    "\n  mutation TriggerSchedule($id: ID!) {\n    triggerSchedule(id: $id) {\n      id\n      runsCount\n      lastRunAt\n      triggered {\n        job { id jobType status }\n        workflow { id name status }\n      }\n    }\n  }\n": typeof types.TriggerScheduleDocument,
    "\n  query ProjectChoices {\n    projects(first: 100) { edges { node { id name } } }\n  }\n": typeof types.ProjectChoicesDocument,
    "\n  mutation CreateSchedule($input: ScheduleInput!) {\n    createSchedule(input: $input) { id name status nextRunAt }\n  }\n": typeof types.CreateScheduleDocument,
    "\n  mutation UpdateSchedule($id: ID!, $input: ScheduleInput!) {\n    updateSchedule(id: $id, input: $input) { id name status nextRunAt updatedAt }\n  }\n": typeof types.UpdateScheduleDocument,
    "\n  query PreviewSchedule($type: ScheduleType!, $expression: String!, $timezone: String!, $count: Int!) {\n    previewSchedule(type: $type, expression: $expression, timezone: $timezone, count: $count)\n  }\n": typeof types.PreviewScheduleDocument,
    "\n  query QueueChoices {\n    queues(first: 100) { edges { node { id name isPaused } } }\n  }\n": typeof types.QueueChoicesDocument,
    "\n  fragment JobRow on Job {\n    id\n    jobType\n    name\n    status\n    queueId\n    workflowId\n    priority\n    attempts\n    maxAttempts\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    progress\n    queue { id name }\n  }\n": typeof types.JobRowFragmentDoc,
    "\n  fragment QueueFigures on QueueStats {\n    waiting\n    running\n    scheduled\n    succeededLastHour\n    failedLastHour\n    oldestWaitingAge\n    countLimit\n    throughput(minutes: $minutes) { minute succeeded failed }\n  }\n": typeof types.QueueFiguresFragmentDoc,
    "\n  query Viewer {\n    viewer {\n      permissions\n      organization { id name }\n      user { id email name role }\n      apiKey { id name prefix }\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  mutation AcceptInvitation($token: String!, $name: String!, $password: String!) {\n    acceptInvitation(token: $token, name: $name, password: $password) { token expiresAt }\n  }\n": typeof types.AcceptInvitationDocument,
    "\n  query Job($id: ID!) {\n    job(id: $id) {\n      id\n      jobType\n      name\n      status\n      statusReason\n      dependencyStatus\n      priority\n      attempts\n      maxAttempts\n      payload\n      output\n      error\n      createdAt\n      updatedAt\n      startedAt\n      finishedAt\n      scheduledFor\n      nextEligibleAt\n      waitingForHandler\n      progress\n      progressMessage\n      workflowId\n      queue { id name }\n      executions {\n        id\n        attempt\n        status\n        startedAt\n        finishedAt\n        duration\n        error\n        traceback\n        progress\n        worker { id name }\n      }\n    }\n  }\n": typeof types.JobDocument,
    "\n  subscription JobEvents($jobId: ID!, $after: ID) {\n    jobStatusChanged(jobId: $jobId, after: $after) { eventId status progress progressMessage }\n  }\n": typeof types.JobEventsDocument,
    "\n  mutation CancelJob($id: ID!) { cancelJob(id: $id) { id status statusReason } }\n": typeof types.CancelJobDocument,
    "\n  mutation RetryJob($id: ID!) { retryJob(id: $id) { id status attempts } }\n": typeof types.RetryJobDocument,
    "\n  query Jobs(\n    $first: Int!\n    $after: String\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: $first\n      after: $after\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      edges { node { ...JobRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.JobsDocument,
    "\n  query JobsRead(\n    $first: Int!\n    $after: String\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: $first\n      after: $after\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      edges { node { ...JobRow } }\n    }\n  }\n": typeof types.JobsReadDocument,
    "\n  query JobsCount(\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: 1\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      totalCount\n    }\n  }\n": typeof types.JobsCountDocument,
    "\n  subscription JobsLive($queueId: ID, $workflowId: ID, $after: ID) {\n    jobStatusChanged(queueId: $queueId, workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      queueId\n      workflowId\n      jobType\n      status\n      previousStatus\n      progress\n      occurredAt\n      deleted\n    }\n  }\n": typeof types.JobsLiveDocument,
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { token expiresAt }\n  }\n": typeof types.LoginDocument,
    "\n  query Overview($minutes: Int!, $queues: Int!) {\n    queues(first: $queues) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          stats { ...QueueFigures }\n        }\n      }\n    }\n    running: jobs(first: 10, status: [PROCESSING]) {\n      edges {\n        node { id jobType startedAt progress progressMessage queue { id name } }\n      }\n    }\n    online: workers(status: [ONLINE], first: 1) { totalCount }\n    draining: workers(status: [DRAINING], first: 1) { totalCount }\n  }\n": typeof types.OverviewDocument,
    "\n  subscription OverviewEvents($after: ID) {\n    jobStatusChanged(after: $after) { eventId jobId status }\n  }\n": typeof types.OverviewEventsDocument,
    "\n  query QueuesPage($minutes: Int!, $first: Int!, $after: String, $workers: Int!) {\n    queues(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          pausedAt\n          project { id name }\n          settings { maxAttempts timeoutSeconds }\n          concurrency { key max strategy }\n          rateLimit { key limit period }\n          stats { ...QueueFigures }\n        }\n      }\n    }\n    workers(status: [ONLINE], first: $workers) {\n      totalCount\n      pageInfo { hasNextPage }\n      edges { node { id status queues { queueId isActive } } }\n    }\n  }\n": typeof types.QueuesPageDocument,
    "\n  mutation PauseQueue($id: ID!) { pauseQueue(id: $id) { id isPaused pausedAt } }\n": typeof types.PauseQueueDocument,
    "\n  mutation ResumeQueue($id: ID!) { resumeQueue(id: $id) { id isPaused pausedAt } }\n": typeof types.ResumeQueueDocument,
    "\n  query Schedule($id: ID!) {\n    schedule(id: $id) {\n      id\n      name\n      type\n      expression\n      timezone\n      status\n      pausedReason\n      projectId\n      queueId\n      jobType\n      payload\n      priority\n      maxAttempts\n      workflowDefinition\n      workflowTemplate { name version }\n      input\n      misfirePolicy\n      overlapPolicy\n      jitter\n      maxRuns\n      runsCount\n      skippedCount\n      pauseAfterFailures\n      consecutiveFailures\n      rateLimitPerMinute\n      nextRunAt\n      nextOccurrenceAt\n      lastRunAt\n      lastError\n      deferrals\n      bufferedOccurrence\n      createdAt\n      updatedAt\n      upcomingRuns(count: 10)\n    }\n    queues(first: 100) { edges { node { id name } } }\n  }\n": typeof types.ScheduleDocument,
    "\n  query ScheduleRuns($id: ID!, $first: Int!, $after: String) {\n    schedule(id: $id) {\n      id\n      runs(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            occurrence\n            firedAt\n            job { id jobType status finishedAt }\n            workflow { id name status finishedAt }\n          }\n        }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": typeof types.ScheduleRunsDocument,
    "\n  subscription ScheduleTicks($scheduleId: ID, $after: ID) {\n    schedulerTicks(scheduleId: $scheduleId, after: $after) { eventId occurrence }\n  }\n": typeof types.ScheduleTicksDocument,
    "\n  mutation DeleteSchedule($id: ID!) { deleteSchedule(id: $id) }\n": typeof types.DeleteScheduleDocument,
    "\n  query Schedules($first: Int!, $after: String, $status: [ScheduleStatus!], $type: [ScheduleType!], $next: Int!) {\n    schedules(first: $first, after: $after, status: $status, type: $type) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          type\n          expression\n          timezone\n          status\n          pausedReason\n          jobType\n          workflowDefinition\n          workflowTemplate { name version }\n          queueId\n          runsCount\n          maxRuns\n          lastRunAt\n          lastError\n          upcomingRuns(count: $next)\n        }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n    scheduleSummary { total active paused completed failed dueNow }\n  }\n": typeof types.SchedulesDocument,
    "\n  subscription SchedulesTicks($after: ID) {\n    schedulerTicks(after: $after) { eventId scheduleId }\n  }\n": typeof types.SchedulesTicksDocument,
    "\n  query WorkersPage($first: Int!, $after: String, $status: [WorkerStatus!]) {\n    workers(first: $first, after: $after, status: $status) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          type\n          status\n          isHealthy\n          lastHeartbeat\n          createdAt\n          jobTypes\n          queues { queueId weight isActive queue { id name isPaused } }\n        }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.WorkersPageDocument,
    "\n  fragment WorkflowSummary on Workflow {\n    id\n    name\n    status\n    failurePolicy\n    createdAt\n    startedAt\n    finishedAt\n    stats { total completed completionPercentage counts { status count } }\n  }\n": typeof types.WorkflowSummaryFragmentDoc,
    "\n  query Workflows($first: Int!, $after: String, $status: [WorkflowStatus!]) {\n    workflows(first: $first, after: $after, status: $status) {\n      edges { cursor node { ...WorkflowSummary } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.WorkflowsDocument,
    "\n  query WorkflowsCount($status: [WorkflowStatus!]) {\n    workflows(first: 1, status: $status) { totalCount }\n  }\n": typeof types.WorkflowsCountDocument,
    "\n  subscription WorkflowsLive($after: ID) {\n    jobStatusChanged(after: $after) { eventId workflowId }\n  }\n": typeof types.WorkflowsLiveDocument,
    "\n  query Workflow($id: ID!) {\n    workflow(id: $id) {\n      ...WorkflowSummary\n      description\n      timeoutSeconds\n      priority\n      deadlineAt\n      prunedAt\n      nesting\n      parentJobId\n      parentWorkflowId\n      template { name version }\n    }\n  }\n": typeof types.WorkflowDocument,
    "\n  query WorkflowGraph($id: ID!) {\n    workflow(id: $id) {\n      id\n      graph { json criticalPath }\n    }\n  }\n": typeof types.WorkflowGraphDocument,
    "\n  subscription WorkflowProgressLive($workflowId: ID!, $after: ID) {\n    workflowProgress(workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      jobStatus\n      workflowStatus\n      stats { total completed completionPercentage counts { status count } }\n    }\n  }\n": typeof types.WorkflowProgressLiveDocument,
    "\n  mutation StartWorkflow($id: ID!) { startWorkflow(id: $id) { ...WorkflowSummary } }\n": typeof types.StartWorkflowDocument,
    "\n  mutation CancelWorkflow($id: ID!) { cancelWorkflow(id: $id) { ...WorkflowSummary } }\n": typeof types.CancelWorkflowDocument,
    "\n  mutation RetryWorkflow($id: ID!) { retryWorkflow(id: $id) { ...WorkflowSummary } }\n": typeof types.RetryWorkflowDocument,
    "\n  mutation ResumeWorkflow($id: ID!, $action: ResumeAction!) {\n    resumeWorkflow(id: $id, action: $action) { ...WorkflowSummary }\n  }\n": typeof types.ResumeWorkflowDocument,
    "\n  mutation DeleteWorkflow($id: ID!) { deleteWorkflow(id: $id) }\n": typeof types.DeleteWorkflowDocument,
};
const documents: Documents = {
    "\n  mutation EnqueueJob($input: EnqueueJobInput!) {\n    enqueueJob(input: $input) { id status jobType }\n  }\n": types.EnqueueJobDocument,
    "\n  subscription ExecutionLogs($executionId: ID!, $after: String) {\n    executionLogs(executionId: $executionId, after: $after) {\n      cursor\n      node { id level message loggedAt }\n    }\n  }\n": types.ExecutionLogsDocument,
    "\n  query AdminApiKeys($first: Int!, $after: String) {\n    apiKeys(first: $first, after: $after) {\n      totalCount\n      edges { node { id name prefix permissions projectId createdAt expiresAt lastUsedAt revokedAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n    projects(first: 100) { edges { node { id name } } }\n  }\n": types.AdminApiKeysDocument,
    "\n  mutation CreateApiKey($name: String!, $permissions: [String!]!, $projectId: ID, $expiresAt: DateTime) {\n    createApiKey(name: $name, permissions: $permissions, projectId: $projectId, expiresAt: $expiresAt) {\n      secret\n      apiKey { id name prefix }\n    }\n  }\n": types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }\n": types.RevokeApiKeyDocument,
    "\n  query AuditLog($first: Int!, $after: String, $action: String) {\n    auditLog(first: $first, after: $after, action: $action) {\n      totalCount\n      edges { node { id createdAt action targetType targetId actorUserId actorApiKeyId details } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.AuditLogDocument,
    "\n  query AuditActors {\n    users(first: 100) { edges { node { id email } } }\n    apiKeys(first: 100) { edges { node { id name } } }\n  }\n": types.AuditActorsDocument,
    "\n  query AdminUsage {\n    viewer {\n      organization {\n        id\n        name\n        billingEmail\n        subscription {\n          tier\n          currentPeriodEnd\n          limits { maxJobsPerPeriod maxWorkers maxSchedules }\n          usage { jobsThisPeriod workers }\n        }\n      }\n    }\n    scheduleSummary { total }\n  }\n": types.AdminUsageDocument,
    "\n  query AdminUsers($first: Int!, $after: String) {\n    users(first: $first, after: $after) {\n      totalCount\n      edges { node { id email name role active deactivatedAt createdAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.AdminUsersDocument,
    "\n  query AdminInvitations($first: Int!, $after: String) {\n    invitations(first: $first, after: $after) {\n      totalCount\n      edges { node { id email role createdAt expiresAt acceptedAt revokedAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.AdminInvitationsDocument,
    "\n  mutation UpdateUserRole($id: ID!, $role: UserRole!) { updateUserRole(id: $id, role: $role) { id role } }\n": types.UpdateUserRoleDocument,
    "\n  mutation DeactivateUser($id: ID!) { deactivateUser(id: $id) { id active deactivatedAt } }\n": types.DeactivateUserDocument,
    "\n  mutation InviteUser($email: String!, $role: UserRole!) {\n    inviteUser(email: $email, role: $role) { token invitation { id email role expiresAt } }\n  }\n": types.InviteUserDocument,
    "\n  mutation RevokeInvitation($id: ID!) { revokeInvitation(id: $id) { id revokedAt } }\n": types.RevokeInvitationDocument,
    "\n  mutation PauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) { id status pausedReason nextRunAt updatedAt }\n  }\n": types.PauseScheduleDocument,
    "\n  mutation ResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) { id status pausedReason nextRunAt consecutiveFailures updatedAt }\n  }\n": types.ResumeScheduleDocument,
    "\n  mutation TriggerSchedule($id: ID!) {\n    triggerSchedule(id: $id) {\n      id\n      runsCount\n      lastRunAt\n      triggered {\n        job { id jobType status }\n        workflow { id name status }\n      }\n    }\n  }\n": types.TriggerScheduleDocument,
    "\n  query ProjectChoices {\n    projects(first: 100) { edges { node { id name } } }\n  }\n": types.ProjectChoicesDocument,
    "\n  mutation CreateSchedule($input: ScheduleInput!) {\n    createSchedule(input: $input) { id name status nextRunAt }\n  }\n": types.CreateScheduleDocument,
    "\n  mutation UpdateSchedule($id: ID!, $input: ScheduleInput!) {\n    updateSchedule(id: $id, input: $input) { id name status nextRunAt updatedAt }\n  }\n": types.UpdateScheduleDocument,
    "\n  query PreviewSchedule($type: ScheduleType!, $expression: String!, $timezone: String!, $count: Int!) {\n    previewSchedule(type: $type, expression: $expression, timezone: $timezone, count: $count)\n  }\n": types.PreviewScheduleDocument,
    "\n  query QueueChoices {\n    queues(first: 100) { edges { node { id name isPaused } } }\n  }\n": types.QueueChoicesDocument,
    "\n  fragment JobRow on Job {\n    id\n    jobType\n    name\n    status\n    queueId\n    workflowId\n    priority\n    attempts\n    maxAttempts\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    progress\n    queue { id name }\n  }\n": types.JobRowFragmentDoc,
    "\n  fragment QueueFigures on QueueStats {\n    waiting\n    running\n    scheduled\n    succeededLastHour\n    failedLastHour\n    oldestWaitingAge\n    countLimit\n    throughput(minutes: $minutes) { minute succeeded failed }\n  }\n": types.QueueFiguresFragmentDoc,
    "\n  query Viewer {\n    viewer {\n      permissions\n      organization { id name }\n      user { id email name role }\n      apiKey { id name prefix }\n    }\n  }\n": types.ViewerDocument,
    "\n  mutation AcceptInvitation($token: String!, $name: String!, $password: String!) {\n    acceptInvitation(token: $token, name: $name, password: $password) { token expiresAt }\n  }\n": types.AcceptInvitationDocument,
    "\n  query Job($id: ID!) {\n    job(id: $id) {\n      id\n      jobType\n      name\n      status\n      statusReason\n      dependencyStatus\n      priority\n      attempts\n      maxAttempts\n      payload\n      output\n      error\n      createdAt\n      updatedAt\n      startedAt\n      finishedAt\n      scheduledFor\n      nextEligibleAt\n      waitingForHandler\n      progress\n      progressMessage\n      workflowId\n      queue { id name }\n      executions {\n        id\n        attempt\n        status\n        startedAt\n        finishedAt\n        duration\n        error\n        traceback\n        progress\n        worker { id name }\n      }\n    }\n  }\n": types.JobDocument,
    "\n  subscription JobEvents($jobId: ID!, $after: ID) {\n    jobStatusChanged(jobId: $jobId, after: $after) { eventId status progress progressMessage }\n  }\n": types.JobEventsDocument,
    "\n  mutation CancelJob($id: ID!) { cancelJob(id: $id) { id status statusReason } }\n": types.CancelJobDocument,
    "\n  mutation RetryJob($id: ID!) { retryJob(id: $id) { id status attempts } }\n": types.RetryJobDocument,
    "\n  query Jobs(\n    $first: Int!\n    $after: String\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: $first\n      after: $after\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      edges { node { ...JobRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.JobsDocument,
    "\n  query JobsRead(\n    $first: Int!\n    $after: String\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: $first\n      after: $after\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      edges { node { ...JobRow } }\n    }\n  }\n": types.JobsReadDocument,
    "\n  query JobsCount(\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: 1\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      totalCount\n    }\n  }\n": types.JobsCountDocument,
    "\n  subscription JobsLive($queueId: ID, $workflowId: ID, $after: ID) {\n    jobStatusChanged(queueId: $queueId, workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      queueId\n      workflowId\n      jobType\n      status\n      previousStatus\n      progress\n      occurredAt\n      deleted\n    }\n  }\n": types.JobsLiveDocument,
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { token expiresAt }\n  }\n": types.LoginDocument,
    "\n  query Overview($minutes: Int!, $queues: Int!) {\n    queues(first: $queues) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          stats { ...QueueFigures }\n        }\n      }\n    }\n    running: jobs(first: 10, status: [PROCESSING]) {\n      edges {\n        node { id jobType startedAt progress progressMessage queue { id name } }\n      }\n    }\n    online: workers(status: [ONLINE], first: 1) { totalCount }\n    draining: workers(status: [DRAINING], first: 1) { totalCount }\n  }\n": types.OverviewDocument,
    "\n  subscription OverviewEvents($after: ID) {\n    jobStatusChanged(after: $after) { eventId jobId status }\n  }\n": types.OverviewEventsDocument,
    "\n  query QueuesPage($minutes: Int!, $first: Int!, $after: String, $workers: Int!) {\n    queues(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          pausedAt\n          project { id name }\n          settings { maxAttempts timeoutSeconds }\n          concurrency { key max strategy }\n          rateLimit { key limit period }\n          stats { ...QueueFigures }\n        }\n      }\n    }\n    workers(status: [ONLINE], first: $workers) {\n      totalCount\n      pageInfo { hasNextPage }\n      edges { node { id status queues { queueId isActive } } }\n    }\n  }\n": types.QueuesPageDocument,
    "\n  mutation PauseQueue($id: ID!) { pauseQueue(id: $id) { id isPaused pausedAt } }\n": types.PauseQueueDocument,
    "\n  mutation ResumeQueue($id: ID!) { resumeQueue(id: $id) { id isPaused pausedAt } }\n": types.ResumeQueueDocument,
    "\n  query Schedule($id: ID!) {\n    schedule(id: $id) {\n      id\n      name\n      type\n      expression\n      timezone\n      status\n      pausedReason\n      projectId\n      queueId\n      jobType\n      payload\n      priority\n      maxAttempts\n      workflowDefinition\n      workflowTemplate { name version }\n      input\n      misfirePolicy\n      overlapPolicy\n      jitter\n      maxRuns\n      runsCount\n      skippedCount\n      pauseAfterFailures\n      consecutiveFailures\n      rateLimitPerMinute\n      nextRunAt\n      nextOccurrenceAt\n      lastRunAt\n      lastError\n      deferrals\n      bufferedOccurrence\n      createdAt\n      updatedAt\n      upcomingRuns(count: 10)\n    }\n    queues(first: 100) { edges { node { id name } } }\n  }\n": types.ScheduleDocument,
    "\n  query ScheduleRuns($id: ID!, $first: Int!, $after: String) {\n    schedule(id: $id) {\n      id\n      runs(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            occurrence\n            firedAt\n            job { id jobType status finishedAt }\n            workflow { id name status finishedAt }\n          }\n        }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": types.ScheduleRunsDocument,
    "\n  subscription ScheduleTicks($scheduleId: ID, $after: ID) {\n    schedulerTicks(scheduleId: $scheduleId, after: $after) { eventId occurrence }\n  }\n": types.ScheduleTicksDocument,
    "\n  mutation DeleteSchedule($id: ID!) { deleteSchedule(id: $id) }\n": types.DeleteScheduleDocument,
    "\n  query Schedules($first: Int!, $after: String, $status: [ScheduleStatus!], $type: [ScheduleType!], $next: Int!) {\n    schedules(first: $first, after: $after, status: $status, type: $type) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          type\n          expression\n          timezone\n          status\n          pausedReason\n          jobType\n          workflowDefinition\n          workflowTemplate { name version }\n          queueId\n          runsCount\n          maxRuns\n          lastRunAt\n          lastError\n          upcomingRuns(count: $next)\n        }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n    scheduleSummary { total active paused completed failed dueNow }\n  }\n": types.SchedulesDocument,
    "\n  subscription SchedulesTicks($after: ID) {\n    schedulerTicks(after: $after) { eventId scheduleId }\n  }\n": types.SchedulesTicksDocument,
    "\n  query WorkersPage($first: Int!, $after: String, $status: [WorkerStatus!]) {\n    workers(first: $first, after: $after, status: $status) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          type\n          status\n          isHealthy\n          lastHeartbeat\n          createdAt\n          jobTypes\n          queues { queueId weight isActive queue { id name isPaused } }\n        }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.WorkersPageDocument,
    "\n  fragment WorkflowSummary on Workflow {\n    id\n    name\n    status\n    failurePolicy\n    createdAt\n    startedAt\n    finishedAt\n    stats { total completed completionPercentage counts { status count } }\n  }\n": types.WorkflowSummaryFragmentDoc,
    "\n  query Workflows($first: Int!, $after: String, $status: [WorkflowStatus!]) {\n    workflows(first: $first, after: $after, status: $status) {\n      edges { cursor node { ...WorkflowSummary } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.WorkflowsDocument,
    "\n  query WorkflowsCount($status: [WorkflowStatus!]) {\n    workflows(first: 1, status: $status) { totalCount }\n  }\n": types.WorkflowsCountDocument,
    "\n  subscription WorkflowsLive($after: ID) {\n    jobStatusChanged(after: $after) { eventId workflowId }\n  }\n": types.WorkflowsLiveDocument,
    "\n  query Workflow($id: ID!) {\n    workflow(id: $id) {\n      ...WorkflowSummary\n      description\n      timeoutSeconds\n      priority\n      deadlineAt\n      prunedAt\n      nesting\n      parentJobId\n      parentWorkflowId\n      template { name version }\n    }\n  }\n": types.WorkflowDocument,
    "\n  query WorkflowGraph($id: ID!) {\n    workflow(id: $id) {\n      id\n      graph { json criticalPath }\n    }\n  }\n": types.WorkflowGraphDocument,
    "\n  subscription WorkflowProgressLive($workflowId: ID!, $after: ID) {\n    workflowProgress(workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      jobStatus\n      workflowStatus\n      stats { total completed completionPercentage counts { status count } }\n    }\n  }\n": types.WorkflowProgressLiveDocument,
    "\n  mutation StartWorkflow($id: ID!) { startWorkflow(id: $id) { ...WorkflowSummary } }\n": types.StartWorkflowDocument,
    "\n  mutation CancelWorkflow($id: ID!) { cancelWorkflow(id: $id) { ...WorkflowSummary } }\n": types.CancelWorkflowDocument,
    "\n  mutation RetryWorkflow($id: ID!) { retryWorkflow(id: $id) { ...WorkflowSummary } }\n": types.RetryWorkflowDocument,
    "\n  mutation ResumeWorkflow($id: ID!, $action: ResumeAction!) {\n    resumeWorkflow(id: $id, action: $action) { ...WorkflowSummary }\n  }\n": types.ResumeWorkflowDocument,
    "\n  mutation DeleteWorkflow($id: ID!) { deleteWorkflow(id: $id) }\n": types.DeleteWorkflowDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EnqueueJob($input: EnqueueJobInput!) {\n    enqueueJob(input: $input) { id status jobType }\n  }\n"): (typeof documents)["\n  mutation EnqueueJob($input: EnqueueJobInput!) {\n    enqueueJob(input: $input) { id status jobType }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ExecutionLogs($executionId: ID!, $after: String) {\n    executionLogs(executionId: $executionId, after: $after) {\n      cursor\n      node { id level message loggedAt }\n    }\n  }\n"): (typeof documents)["\n  subscription ExecutionLogs($executionId: ID!, $after: String) {\n    executionLogs(executionId: $executionId, after: $after) {\n      cursor\n      node { id level message loggedAt }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminApiKeys($first: Int!, $after: String) {\n    apiKeys(first: $first, after: $after) {\n      totalCount\n      edges { node { id name prefix permissions projectId createdAt expiresAt lastUsedAt revokedAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n    projects(first: 100) { edges { node { id name } } }\n  }\n"): (typeof documents)["\n  query AdminApiKeys($first: Int!, $after: String) {\n    apiKeys(first: $first, after: $after) {\n      totalCount\n      edges { node { id name prefix permissions projectId createdAt expiresAt lastUsedAt revokedAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n    projects(first: 100) { edges { node { id name } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiKey($name: String!, $permissions: [String!]!, $projectId: ID, $expiresAt: DateTime) {\n    createApiKey(name: $name, permissions: $permissions, projectId: $projectId, expiresAt: $expiresAt) {\n      secret\n      apiKey { id name prefix }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateApiKey($name: String!, $permissions: [String!]!, $projectId: ID, $expiresAt: DateTime) {\n    createApiKey(name: $name, permissions: $permissions, projectId: $projectId, expiresAt: $expiresAt) {\n      secret\n      apiKey { id name prefix }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }\n"): (typeof documents)["\n  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditLog($first: Int!, $after: String, $action: String) {\n    auditLog(first: $first, after: $after, action: $action) {\n      totalCount\n      edges { node { id createdAt action targetType targetId actorUserId actorApiKeyId details } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query AuditLog($first: Int!, $after: String, $action: String) {\n    auditLog(first: $first, after: $after, action: $action) {\n      totalCount\n      edges { node { id createdAt action targetType targetId actorUserId actorApiKeyId details } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditActors {\n    users(first: 100) { edges { node { id email } } }\n    apiKeys(first: 100) { edges { node { id name } } }\n  }\n"): (typeof documents)["\n  query AuditActors {\n    users(first: 100) { edges { node { id email } } }\n    apiKeys(first: 100) { edges { node { id name } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminUsage {\n    viewer {\n      organization {\n        id\n        name\n        billingEmail\n        subscription {\n          tier\n          currentPeriodEnd\n          limits { maxJobsPerPeriod maxWorkers maxSchedules }\n          usage { jobsThisPeriod workers }\n        }\n      }\n    }\n    scheduleSummary { total }\n  }\n"): (typeof documents)["\n  query AdminUsage {\n    viewer {\n      organization {\n        id\n        name\n        billingEmail\n        subscription {\n          tier\n          currentPeriodEnd\n          limits { maxJobsPerPeriod maxWorkers maxSchedules }\n          usage { jobsThisPeriod workers }\n        }\n      }\n    }\n    scheduleSummary { total }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminUsers($first: Int!, $after: String) {\n    users(first: $first, after: $after) {\n      totalCount\n      edges { node { id email name role active deactivatedAt createdAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query AdminUsers($first: Int!, $after: String) {\n    users(first: $first, after: $after) {\n      totalCount\n      edges { node { id email name role active deactivatedAt createdAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminInvitations($first: Int!, $after: String) {\n    invitations(first: $first, after: $after) {\n      totalCount\n      edges { node { id email role createdAt expiresAt acceptedAt revokedAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query AdminInvitations($first: Int!, $after: String) {\n    invitations(first: $first, after: $after) {\n      totalCount\n      edges { node { id email role createdAt expiresAt acceptedAt revokedAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateUserRole($id: ID!, $role: UserRole!) { updateUserRole(id: $id, role: $role) { id role } }\n"): (typeof documents)["\n  mutation UpdateUserRole($id: ID!, $role: UserRole!) { updateUserRole(id: $id, role: $role) { id role } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeactivateUser($id: ID!) { deactivateUser(id: $id) { id active deactivatedAt } }\n"): (typeof documents)["\n  mutation DeactivateUser($id: ID!) { deactivateUser(id: $id) { id active deactivatedAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation InviteUser($email: String!, $role: UserRole!) {\n    inviteUser(email: $email, role: $role) { token invitation { id email role expiresAt } }\n  }\n"): (typeof documents)["\n  mutation InviteUser($email: String!, $role: UserRole!) {\n    inviteUser(email: $email, role: $role) { token invitation { id email role expiresAt } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeInvitation($id: ID!) { revokeInvitation(id: $id) { id revokedAt } }\n"): (typeof documents)["\n  mutation RevokeInvitation($id: ID!) { revokeInvitation(id: $id) { id revokedAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) { id status pausedReason nextRunAt updatedAt }\n  }\n"): (typeof documents)["\n  mutation PauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) { id status pausedReason nextRunAt updatedAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) { id status pausedReason nextRunAt consecutiveFailures updatedAt }\n  }\n"): (typeof documents)["\n  mutation ResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) { id status pausedReason nextRunAt consecutiveFailures updatedAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TriggerSchedule($id: ID!) {\n    triggerSchedule(id: $id) {\n      id\n      runsCount\n      lastRunAt\n      triggered {\n        job { id jobType status }\n        workflow { id name status }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation TriggerSchedule($id: ID!) {\n    triggerSchedule(id: $id) {\n      id\n      runsCount\n      lastRunAt\n      triggered {\n        job { id jobType status }\n        workflow { id name status }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProjectChoices {\n    projects(first: 100) { edges { node { id name } } }\n  }\n"): (typeof documents)["\n  query ProjectChoices {\n    projects(first: 100) { edges { node { id name } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateSchedule($input: ScheduleInput!) {\n    createSchedule(input: $input) { id name status nextRunAt }\n  }\n"): (typeof documents)["\n  mutation CreateSchedule($input: ScheduleInput!) {\n    createSchedule(input: $input) { id name status nextRunAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateSchedule($id: ID!, $input: ScheduleInput!) {\n    updateSchedule(id: $id, input: $input) { id name status nextRunAt updatedAt }\n  }\n"): (typeof documents)["\n  mutation UpdateSchedule($id: ID!, $input: ScheduleInput!) {\n    updateSchedule(id: $id, input: $input) { id name status nextRunAt updatedAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PreviewSchedule($type: ScheduleType!, $expression: String!, $timezone: String!, $count: Int!) {\n    previewSchedule(type: $type, expression: $expression, timezone: $timezone, count: $count)\n  }\n"): (typeof documents)["\n  query PreviewSchedule($type: ScheduleType!, $expression: String!, $timezone: String!, $count: Int!) {\n    previewSchedule(type: $type, expression: $expression, timezone: $timezone, count: $count)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query QueueChoices {\n    queues(first: 100) { edges { node { id name isPaused } } }\n  }\n"): (typeof documents)["\n  query QueueChoices {\n    queues(first: 100) { edges { node { id name isPaused } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment JobRow on Job {\n    id\n    jobType\n    name\n    status\n    queueId\n    workflowId\n    priority\n    attempts\n    maxAttempts\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    progress\n    queue { id name }\n  }\n"): (typeof documents)["\n  fragment JobRow on Job {\n    id\n    jobType\n    name\n    status\n    queueId\n    workflowId\n    priority\n    attempts\n    maxAttempts\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    progress\n    queue { id name }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment QueueFigures on QueueStats {\n    waiting\n    running\n    scheduled\n    succeededLastHour\n    failedLastHour\n    oldestWaitingAge\n    countLimit\n    throughput(minutes: $minutes) { minute succeeded failed }\n  }\n"): (typeof documents)["\n  fragment QueueFigures on QueueStats {\n    waiting\n    running\n    scheduled\n    succeededLastHour\n    failedLastHour\n    oldestWaitingAge\n    countLimit\n    throughput(minutes: $minutes) { minute succeeded failed }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      permissions\n      organization { id name }\n      user { id email name role }\n      apiKey { id name prefix }\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer {\n      permissions\n      organization { id name }\n      user { id email name role }\n      apiKey { id name prefix }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AcceptInvitation($token: String!, $name: String!, $password: String!) {\n    acceptInvitation(token: $token, name: $name, password: $password) { token expiresAt }\n  }\n"): (typeof documents)["\n  mutation AcceptInvitation($token: String!, $name: String!, $password: String!) {\n    acceptInvitation(token: $token, name: $name, password: $password) { token expiresAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Job($id: ID!) {\n    job(id: $id) {\n      id\n      jobType\n      name\n      status\n      statusReason\n      dependencyStatus\n      priority\n      attempts\n      maxAttempts\n      payload\n      output\n      error\n      createdAt\n      updatedAt\n      startedAt\n      finishedAt\n      scheduledFor\n      nextEligibleAt\n      waitingForHandler\n      progress\n      progressMessage\n      workflowId\n      queue { id name }\n      executions {\n        id\n        attempt\n        status\n        startedAt\n        finishedAt\n        duration\n        error\n        traceback\n        progress\n        worker { id name }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Job($id: ID!) {\n    job(id: $id) {\n      id\n      jobType\n      name\n      status\n      statusReason\n      dependencyStatus\n      priority\n      attempts\n      maxAttempts\n      payload\n      output\n      error\n      createdAt\n      updatedAt\n      startedAt\n      finishedAt\n      scheduledFor\n      nextEligibleAt\n      waitingForHandler\n      progress\n      progressMessage\n      workflowId\n      queue { id name }\n      executions {\n        id\n        attempt\n        status\n        startedAt\n        finishedAt\n        duration\n        error\n        traceback\n        progress\n        worker { id name }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription JobEvents($jobId: ID!, $after: ID) {\n    jobStatusChanged(jobId: $jobId, after: $after) { eventId status progress progressMessage }\n  }\n"): (typeof documents)["\n  subscription JobEvents($jobId: ID!, $after: ID) {\n    jobStatusChanged(jobId: $jobId, after: $after) { eventId status progress progressMessage }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelJob($id: ID!) { cancelJob(id: $id) { id status statusReason } }\n"): (typeof documents)["\n  mutation CancelJob($id: ID!) { cancelJob(id: $id) { id status statusReason } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RetryJob($id: ID!) { retryJob(id: $id) { id status attempts } }\n"): (typeof documents)["\n  mutation RetryJob($id: ID!) { retryJob(id: $id) { id status attempts } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Jobs(\n    $first: Int!\n    $after: String\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: $first\n      after: $after\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      edges { node { ...JobRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query Jobs(\n    $first: Int!\n    $after: String\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: $first\n      after: $after\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      edges { node { ...JobRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query JobsRead(\n    $first: Int!\n    $after: String\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: $first\n      after: $after\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      edges { node { ...JobRow } }\n    }\n  }\n"): (typeof documents)["\n  query JobsRead(\n    $first: Int!\n    $after: String\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: $first\n      after: $after\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      edges { node { ...JobRow } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query JobsCount(\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: 1\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query JobsCount(\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: 1\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription JobsLive($queueId: ID, $workflowId: ID, $after: ID) {\n    jobStatusChanged(queueId: $queueId, workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      queueId\n      workflowId\n      jobType\n      status\n      previousStatus\n      progress\n      occurredAt\n      deleted\n    }\n  }\n"): (typeof documents)["\n  subscription JobsLive($queueId: ID, $workflowId: ID, $after: ID) {\n    jobStatusChanged(queueId: $queueId, workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      queueId\n      workflowId\n      jobType\n      status\n      previousStatus\n      progress\n      occurredAt\n      deleted\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { token expiresAt }\n  }\n"): (typeof documents)["\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { token expiresAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Overview($minutes: Int!, $queues: Int!) {\n    queues(first: $queues) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          stats { ...QueueFigures }\n        }\n      }\n    }\n    running: jobs(first: 10, status: [PROCESSING]) {\n      edges {\n        node { id jobType startedAt progress progressMessage queue { id name } }\n      }\n    }\n    online: workers(status: [ONLINE], first: 1) { totalCount }\n    draining: workers(status: [DRAINING], first: 1) { totalCount }\n  }\n"): (typeof documents)["\n  query Overview($minutes: Int!, $queues: Int!) {\n    queues(first: $queues) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          stats { ...QueueFigures }\n        }\n      }\n    }\n    running: jobs(first: 10, status: [PROCESSING]) {\n      edges {\n        node { id jobType startedAt progress progressMessage queue { id name } }\n      }\n    }\n    online: workers(status: [ONLINE], first: 1) { totalCount }\n    draining: workers(status: [DRAINING], first: 1) { totalCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OverviewEvents($after: ID) {\n    jobStatusChanged(after: $after) { eventId jobId status }\n  }\n"): (typeof documents)["\n  subscription OverviewEvents($after: ID) {\n    jobStatusChanged(after: $after) { eventId jobId status }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query QueuesPage($minutes: Int!, $first: Int!, $after: String, $workers: Int!) {\n    queues(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          pausedAt\n          project { id name }\n          settings { maxAttempts timeoutSeconds }\n          concurrency { key max strategy }\n          rateLimit { key limit period }\n          stats { ...QueueFigures }\n        }\n      }\n    }\n    workers(status: [ONLINE], first: $workers) {\n      totalCount\n      pageInfo { hasNextPage }\n      edges { node { id status queues { queueId isActive } } }\n    }\n  }\n"): (typeof documents)["\n  query QueuesPage($minutes: Int!, $first: Int!, $after: String, $workers: Int!) {\n    queues(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          pausedAt\n          project { id name }\n          settings { maxAttempts timeoutSeconds }\n          concurrency { key max strategy }\n          rateLimit { key limit period }\n          stats { ...QueueFigures }\n        }\n      }\n    }\n    workers(status: [ONLINE], first: $workers) {\n      totalCount\n      pageInfo { hasNextPage }\n      edges { node { id status queues { queueId isActive } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PauseQueue($id: ID!) { pauseQueue(id: $id) { id isPaused pausedAt } }\n"): (typeof documents)["\n  mutation PauseQueue($id: ID!) { pauseQueue(id: $id) { id isPaused pausedAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResumeQueue($id: ID!) { resumeQueue(id: $id) { id isPaused pausedAt } }\n"): (typeof documents)["\n  mutation ResumeQueue($id: ID!) { resumeQueue(id: $id) { id isPaused pausedAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Schedule($id: ID!) {\n    schedule(id: $id) {\n      id\n      name\n      type\n      expression\n      timezone\n      status\n      pausedReason\n      projectId\n      queueId\n      jobType\n      payload\n      priority\n      maxAttempts\n      workflowDefinition\n      workflowTemplate { name version }\n      input\n      misfirePolicy\n      overlapPolicy\n      jitter\n      maxRuns\n      runsCount\n      skippedCount\n      pauseAfterFailures\n      consecutiveFailures\n      rateLimitPerMinute\n      nextRunAt\n      nextOccurrenceAt\n      lastRunAt\n      lastError\n      deferrals\n      bufferedOccurrence\n      createdAt\n      updatedAt\n      upcomingRuns(count: 10)\n    }\n    queues(first: 100) { edges { node { id name } } }\n  }\n"): (typeof documents)["\n  query Schedule($id: ID!) {\n    schedule(id: $id) {\n      id\n      name\n      type\n      expression\n      timezone\n      status\n      pausedReason\n      projectId\n      queueId\n      jobType\n      payload\n      priority\n      maxAttempts\n      workflowDefinition\n      workflowTemplate { name version }\n      input\n      misfirePolicy\n      overlapPolicy\n      jitter\n      maxRuns\n      runsCount\n      skippedCount\n      pauseAfterFailures\n      consecutiveFailures\n      rateLimitPerMinute\n      nextRunAt\n      nextOccurrenceAt\n      lastRunAt\n      lastError\n      deferrals\n      bufferedOccurrence\n      createdAt\n      updatedAt\n      upcomingRuns(count: 10)\n    }\n    queues(first: 100) { edges { node { id name } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ScheduleRuns($id: ID!, $first: Int!, $after: String) {\n    schedule(id: $id) {\n      id\n      runs(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            occurrence\n            firedAt\n            job { id jobType status finishedAt }\n            workflow { id name status finishedAt }\n          }\n        }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ScheduleRuns($id: ID!, $first: Int!, $after: String) {\n    schedule(id: $id) {\n      id\n      runs(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            occurrence\n            firedAt\n            job { id jobType status finishedAt }\n            workflow { id name status finishedAt }\n          }\n        }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ScheduleTicks($scheduleId: ID, $after: ID) {\n    schedulerTicks(scheduleId: $scheduleId, after: $after) { eventId occurrence }\n  }\n"): (typeof documents)["\n  subscription ScheduleTicks($scheduleId: ID, $after: ID) {\n    schedulerTicks(scheduleId: $scheduleId, after: $after) { eventId occurrence }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteSchedule($id: ID!) { deleteSchedule(id: $id) }\n"): (typeof documents)["\n  mutation DeleteSchedule($id: ID!) { deleteSchedule(id: $id) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Schedules($first: Int!, $after: String, $status: [ScheduleStatus!], $type: [ScheduleType!], $next: Int!) {\n    schedules(first: $first, after: $after, status: $status, type: $type) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          type\n          expression\n          timezone\n          status\n          pausedReason\n          jobType\n          workflowDefinition\n          workflowTemplate { name version }\n          queueId\n          runsCount\n          maxRuns\n          lastRunAt\n          lastError\n          upcomingRuns(count: $next)\n        }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n    scheduleSummary { total active paused completed failed dueNow }\n  }\n"): (typeof documents)["\n  query Schedules($first: Int!, $after: String, $status: [ScheduleStatus!], $type: [ScheduleType!], $next: Int!) {\n    schedules(first: $first, after: $after, status: $status, type: $type) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          type\n          expression\n          timezone\n          status\n          pausedReason\n          jobType\n          workflowDefinition\n          workflowTemplate { name version }\n          queueId\n          runsCount\n          maxRuns\n          lastRunAt\n          lastError\n          upcomingRuns(count: $next)\n        }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n    scheduleSummary { total active paused completed failed dueNow }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SchedulesTicks($after: ID) {\n    schedulerTicks(after: $after) { eventId scheduleId }\n  }\n"): (typeof documents)["\n  subscription SchedulesTicks($after: ID) {\n    schedulerTicks(after: $after) { eventId scheduleId }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WorkersPage($first: Int!, $after: String, $status: [WorkerStatus!]) {\n    workers(first: $first, after: $after, status: $status) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          type\n          status\n          isHealthy\n          lastHeartbeat\n          createdAt\n          jobTypes\n          queues { queueId weight isActive queue { id name isPaused } }\n        }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query WorkersPage($first: Int!, $after: String, $status: [WorkerStatus!]) {\n    workers(first: $first, after: $after, status: $status) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          type\n          status\n          isHealthy\n          lastHeartbeat\n          createdAt\n          jobTypes\n          queues { queueId weight isActive queue { id name isPaused } }\n        }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WorkflowSummary on Workflow {\n    id\n    name\n    status\n    failurePolicy\n    createdAt\n    startedAt\n    finishedAt\n    stats { total completed completionPercentage counts { status count } }\n  }\n"): (typeof documents)["\n  fragment WorkflowSummary on Workflow {\n    id\n    name\n    status\n    failurePolicy\n    createdAt\n    startedAt\n    finishedAt\n    stats { total completed completionPercentage counts { status count } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Workflows($first: Int!, $after: String, $status: [WorkflowStatus!]) {\n    workflows(first: $first, after: $after, status: $status) {\n      edges { cursor node { ...WorkflowSummary } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query Workflows($first: Int!, $after: String, $status: [WorkflowStatus!]) {\n    workflows(first: $first, after: $after, status: $status) {\n      edges { cursor node { ...WorkflowSummary } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WorkflowsCount($status: [WorkflowStatus!]) {\n    workflows(first: 1, status: $status) { totalCount }\n  }\n"): (typeof documents)["\n  query WorkflowsCount($status: [WorkflowStatus!]) {\n    workflows(first: 1, status: $status) { totalCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription WorkflowsLive($after: ID) {\n    jobStatusChanged(after: $after) { eventId workflowId }\n  }\n"): (typeof documents)["\n  subscription WorkflowsLive($after: ID) {\n    jobStatusChanged(after: $after) { eventId workflowId }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Workflow($id: ID!) {\n    workflow(id: $id) {\n      ...WorkflowSummary\n      description\n      timeoutSeconds\n      priority\n      deadlineAt\n      prunedAt\n      nesting\n      parentJobId\n      parentWorkflowId\n      template { name version }\n    }\n  }\n"): (typeof documents)["\n  query Workflow($id: ID!) {\n    workflow(id: $id) {\n      ...WorkflowSummary\n      description\n      timeoutSeconds\n      priority\n      deadlineAt\n      prunedAt\n      nesting\n      parentJobId\n      parentWorkflowId\n      template { name version }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WorkflowGraph($id: ID!) {\n    workflow(id: $id) {\n      id\n      graph { json criticalPath }\n    }\n  }\n"): (typeof documents)["\n  query WorkflowGraph($id: ID!) {\n    workflow(id: $id) {\n      id\n      graph { json criticalPath }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription WorkflowProgressLive($workflowId: ID!, $after: ID) {\n    workflowProgress(workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      jobStatus\n      workflowStatus\n      stats { total completed completionPercentage counts { status count } }\n    }\n  }\n"): (typeof documents)["\n  subscription WorkflowProgressLive($workflowId: ID!, $after: ID) {\n    workflowProgress(workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      jobStatus\n      workflowStatus\n      stats { total completed completionPercentage counts { status count } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartWorkflow($id: ID!) { startWorkflow(id: $id) { ...WorkflowSummary } }\n"): (typeof documents)["\n  mutation StartWorkflow($id: ID!) { startWorkflow(id: $id) { ...WorkflowSummary } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelWorkflow($id: ID!) { cancelWorkflow(id: $id) { ...WorkflowSummary } }\n"): (typeof documents)["\n  mutation CancelWorkflow($id: ID!) { cancelWorkflow(id: $id) { ...WorkflowSummary } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RetryWorkflow($id: ID!) { retryWorkflow(id: $id) { ...WorkflowSummary } }\n"): (typeof documents)["\n  mutation RetryWorkflow($id: ID!) { retryWorkflow(id: $id) { ...WorkflowSummary } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResumeWorkflow($id: ID!, $action: ResumeAction!) {\n    resumeWorkflow(id: $id, action: $action) { ...WorkflowSummary }\n  }\n"): (typeof documents)["\n  mutation ResumeWorkflow($id: ID!, $action: ResumeAction!) {\n    resumeWorkflow(id: $id, action: $action) { ...WorkflowSummary }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteWorkflow($id: ID!) { deleteWorkflow(id: $id) }\n"): (typeof documents)["\n  mutation DeleteWorkflow($id: ID!) { deleteWorkflow(id: $id) }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;