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
    "\n  query QueueChoices {\n    queues(first: 100) { edges { node { id name isPaused } } }\n  }\n": typeof types.QueueChoicesDocument,
    "\n  fragment JobRow on Job {\n    id\n    jobType\n    name\n    status\n    queueId\n    workflowId\n    priority\n    attempts\n    maxAttempts\n    createdAt\n    startedAt\n    finishedAt\n    progress\n    queue { id name }\n  }\n": typeof types.JobRowFragmentDoc,
    "\n  query Viewer {\n    viewer {\n      permissions\n      organization { id name }\n      user { id email name role }\n      apiKey { id name prefix }\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  query Job($id: ID!) {\n    job(id: $id) {\n      id\n      jobType\n      name\n      status\n      statusReason\n      dependencyStatus\n      priority\n      attempts\n      maxAttempts\n      payload\n      output\n      error\n      createdAt\n      updatedAt\n      startedAt\n      finishedAt\n      scheduledFor\n      nextEligibleAt\n      waitingForHandler\n      progress\n      progressMessage\n      workflowId\n      queue { id name }\n      executions {\n        id\n        attempt\n        status\n        startedAt\n        finishedAt\n        duration\n        error\n        traceback\n        progress\n        worker { id name }\n      }\n    }\n  }\n": typeof types.JobDocument,
    "\n  subscription JobEvents($jobId: ID!, $after: ID) {\n    jobStatusChanged(jobId: $jobId, after: $after) { eventId status progress progressMessage }\n  }\n": typeof types.JobEventsDocument,
    "\n  mutation CancelJob($id: ID!) { cancelJob(id: $id) { id status statusReason } }\n": typeof types.CancelJobDocument,
    "\n  mutation RetryJob($id: ID!) { retryJob(id: $id) { id status attempts } }\n": typeof types.RetryJobDocument,
    "\n  query Jobs(\n    $first: Int!\n    $after: String\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: $first\n      after: $after\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      edges { node { ...JobRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.JobsDocument,
    "\n  query JobsCount(\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: 1\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      totalCount\n    }\n  }\n": typeof types.JobsCountDocument,
    "\n  subscription JobsLive($queueId: ID, $workflowId: ID, $after: ID) {\n    jobStatusChanged(queueId: $queueId, workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      status\n      previousStatus\n      progress\n      job { ...JobRow }\n    }\n  }\n": typeof types.JobsLiveDocument,
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { token expiresAt }\n  }\n": typeof types.LoginDocument,
    "\n  query Overview($minutes: Int!) {\n    queues(first: 100) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          stats {\n            waiting\n            running\n            scheduled\n            succeededLastHour\n            failedLastHour\n            oldestWaitingAge\n            countLimit\n            throughput(minutes: $minutes) { minute succeeded failed }\n          }\n        }\n      }\n    }\n    running: jobs(first: 10, status: [PROCESSING]) {\n      edges {\n        node { id jobType startedAt progress progressMessage queue { id name } }\n      }\n    }\n    online: workers(status: [ONLINE], first: 1) { totalCount }\n    draining: workers(status: [DRAINING], first: 1) { totalCount }\n  }\n": typeof types.OverviewDocument,
    "\n  subscription OverviewEvents($after: ID) {\n    jobStatusChanged(after: $after) { eventId jobId status }\n  }\n": typeof types.OverviewEventsDocument,
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
    "\n  query QueueChoices {\n    queues(first: 100) { edges { node { id name isPaused } } }\n  }\n": types.QueueChoicesDocument,
    "\n  fragment JobRow on Job {\n    id\n    jobType\n    name\n    status\n    queueId\n    workflowId\n    priority\n    attempts\n    maxAttempts\n    createdAt\n    startedAt\n    finishedAt\n    progress\n    queue { id name }\n  }\n": types.JobRowFragmentDoc,
    "\n  query Viewer {\n    viewer {\n      permissions\n      organization { id name }\n      user { id email name role }\n      apiKey { id name prefix }\n    }\n  }\n": types.ViewerDocument,
    "\n  query Job($id: ID!) {\n    job(id: $id) {\n      id\n      jobType\n      name\n      status\n      statusReason\n      dependencyStatus\n      priority\n      attempts\n      maxAttempts\n      payload\n      output\n      error\n      createdAt\n      updatedAt\n      startedAt\n      finishedAt\n      scheduledFor\n      nextEligibleAt\n      waitingForHandler\n      progress\n      progressMessage\n      workflowId\n      queue { id name }\n      executions {\n        id\n        attempt\n        status\n        startedAt\n        finishedAt\n        duration\n        error\n        traceback\n        progress\n        worker { id name }\n      }\n    }\n  }\n": types.JobDocument,
    "\n  subscription JobEvents($jobId: ID!, $after: ID) {\n    jobStatusChanged(jobId: $jobId, after: $after) { eventId status progress progressMessage }\n  }\n": types.JobEventsDocument,
    "\n  mutation CancelJob($id: ID!) { cancelJob(id: $id) { id status statusReason } }\n": types.CancelJobDocument,
    "\n  mutation RetryJob($id: ID!) { retryJob(id: $id) { id status attempts } }\n": types.RetryJobDocument,
    "\n  query Jobs(\n    $first: Int!\n    $after: String\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: $first\n      after: $after\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      edges { node { ...JobRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.JobsDocument,
    "\n  query JobsCount(\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: 1\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      totalCount\n    }\n  }\n": types.JobsCountDocument,
    "\n  subscription JobsLive($queueId: ID, $workflowId: ID, $after: ID) {\n    jobStatusChanged(queueId: $queueId, workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      status\n      previousStatus\n      progress\n      job { ...JobRow }\n    }\n  }\n": types.JobsLiveDocument,
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { token expiresAt }\n  }\n": types.LoginDocument,
    "\n  query Overview($minutes: Int!) {\n    queues(first: 100) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          stats {\n            waiting\n            running\n            scheduled\n            succeededLastHour\n            failedLastHour\n            oldestWaitingAge\n            countLimit\n            throughput(minutes: $minutes) { minute succeeded failed }\n          }\n        }\n      }\n    }\n    running: jobs(first: 10, status: [PROCESSING]) {\n      edges {\n        node { id jobType startedAt progress progressMessage queue { id name } }\n      }\n    }\n    online: workers(status: [ONLINE], first: 1) { totalCount }\n    draining: workers(status: [DRAINING], first: 1) { totalCount }\n  }\n": types.OverviewDocument,
    "\n  subscription OverviewEvents($after: ID) {\n    jobStatusChanged(after: $after) { eventId jobId status }\n  }\n": types.OverviewEventsDocument,
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
export function graphql(source: "\n  query QueueChoices {\n    queues(first: 100) { edges { node { id name isPaused } } }\n  }\n"): (typeof documents)["\n  query QueueChoices {\n    queues(first: 100) { edges { node { id name isPaused } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment JobRow on Job {\n    id\n    jobType\n    name\n    status\n    queueId\n    workflowId\n    priority\n    attempts\n    maxAttempts\n    createdAt\n    startedAt\n    finishedAt\n    progress\n    queue { id name }\n  }\n"): (typeof documents)["\n  fragment JobRow on Job {\n    id\n    jobType\n    name\n    status\n    queueId\n    workflowId\n    priority\n    attempts\n    maxAttempts\n    createdAt\n    startedAt\n    finishedAt\n    progress\n    queue { id name }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      permissions\n      organization { id name }\n      user { id email name role }\n      apiKey { id name prefix }\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer {\n      permissions\n      organization { id name }\n      user { id email name role }\n      apiKey { id name prefix }\n    }\n  }\n"];
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
export function graphql(source: "\n  query JobsCount(\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: 1\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query JobsCount(\n    $queueId: ID\n    $status: [JobStatus!]\n    $jobType: String\n    $workflowId: ID\n    $createdAfter: DateTime\n    $createdBefore: DateTime\n  ) {\n    jobs(\n      first: 1\n      queueId: $queueId\n      status: $status\n      jobType: $jobType\n      workflowId: $workflowId\n      createdAfter: $createdAfter\n      createdBefore: $createdBefore\n    ) {\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription JobsLive($queueId: ID, $workflowId: ID, $after: ID) {\n    jobStatusChanged(queueId: $queueId, workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      status\n      previousStatus\n      progress\n      job { ...JobRow }\n    }\n  }\n"): (typeof documents)["\n  subscription JobsLive($queueId: ID, $workflowId: ID, $after: ID) {\n    jobStatusChanged(queueId: $queueId, workflowId: $workflowId, after: $after) {\n      eventId\n      jobId\n      status\n      previousStatus\n      progress\n      job { ...JobRow }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { token expiresAt }\n  }\n"): (typeof documents)["\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) { token expiresAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Overview($minutes: Int!) {\n    queues(first: 100) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          stats {\n            waiting\n            running\n            scheduled\n            succeededLastHour\n            failedLastHour\n            oldestWaitingAge\n            countLimit\n            throughput(minutes: $minutes) { minute succeeded failed }\n          }\n        }\n      }\n    }\n    running: jobs(first: 10, status: [PROCESSING]) {\n      edges {\n        node { id jobType startedAt progress progressMessage queue { id name } }\n      }\n    }\n    online: workers(status: [ONLINE], first: 1) { totalCount }\n    draining: workers(status: [DRAINING], first: 1) { totalCount }\n  }\n"): (typeof documents)["\n  query Overview($minutes: Int!) {\n    queues(first: 100) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          priority\n          isPaused\n          stats {\n            waiting\n            running\n            scheduled\n            succeededLastHour\n            failedLastHour\n            oldestWaitingAge\n            countLimit\n            throughput(minutes: $minutes) { minute succeeded failed }\n          }\n        }\n      }\n    }\n    running: jobs(first: 10, status: [PROCESSING]) {\n      edges {\n        node { id jobType startedAt progress progressMessage queue { id name } }\n      }\n    }\n    online: workers(status: [ONLINE], first: 1) { totalCount }\n    draining: workers(status: [DRAINING], first: 1) { totalCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OverviewEvents($after: ID) {\n    jobStatusChanged(after: $after) { eventId jobId status }\n  }\n"): (typeof documents)["\n  subscription OverviewEvents($after: ID) {\n    jobStatusChanged(after: $after) { eventId jobId status }\n  }\n"];
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