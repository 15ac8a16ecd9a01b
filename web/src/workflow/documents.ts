// The GraphQL documents of the Workflows pages.
import { graphql } from "../gql";

export const WorkflowSummaryFragment = graphql(`
  fragment WorkflowSummary on Workflow {
    id
    name
    status
    failurePolicy
    createdAt
    startedAt
    finishedAt
    stats { total completed completionPercentage counts { status count } }
  }
`);

export const WorkflowsDocument = graphql(`
  query Workflows($first: Int!, $after: String, $status: [WorkflowStatus!]) {
    workflows(first: $first, after: $after, status: $status) {
      edges { cursor node { ...WorkflowSummary } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

// the count runs apart, so that the rows are painted without waiting for it
export const WorkflowsCountDocument = graphql(`
  query WorkflowsCount($status: [WorkflowStatus!]) {
    workflows(first: 1, status: $status) { totalCount }
  }
`);

/** Every job change of the organization: the list reloads when one is in a workflow. */
export const WorkflowsLiveDocument = graphql(`
  subscription WorkflowsLive($after: ID) {
    jobStatusChanged(after: $after) { eventId workflowId }
  }
`);

export const WorkflowDocument = graphql(`
  query Workflow($id: ID!) {
    workflow(id: $id) {
      ...WorkflowSummary
      description
      timeoutSeconds
      priority
      deadlineAt
      prunedAt
      nesting
      parentJobId
      parentWorkflowId
      template { name version }
    }
  }
`);

/** The graph as one JSON value (cheap for 10,000 jobs) and the critical path weighted by
 * run time. */
export const WorkflowGraphDocument = graphql(`
  query WorkflowGraph($id: ID!) {
    workflow(id: $id) {
      id
      graph { json criticalPath }
    }
  }
`);

export const WorkflowProgressDocument = graphql(`
  subscription WorkflowProgressLive($workflowId: ID!, $after: ID) {
    workflowProgress(workflowId: $workflowId, after: $after) {
      eventId
      jobId
      jobStatus
      workflowStatus
      stats { total completed completionPercentage counts { status count } }
    }
  }
`);

export const StartWorkflowDocument = graphql(`
  mutation StartWorkflow($id: ID!) { startWorkflow(id: $id) { ...WorkflowSummary } }
`);

export const CancelWorkflowDocument = graphql(`
  mutation CancelWorkflow($id: ID!) { cancelWorkflow(id: $id) { ...WorkflowSummary } }
`);

export const RetryWorkflowDocument = graphql(`
  mutation RetryWorkflow($id: ID!) { retryWorkflow(id: $id) { ...WorkflowSummary } }
`);

export const ResumeWorkflowDocument = graphql(`
  mutation ResumeWorkflow($id: ID!, $action: ResumeAction!) {
    resumeWorkflow(id: $id, action: $action) { ...WorkflowSummary }
  }
`);

export const DeleteWorkflowDocument = graphql(`
  mutation DeleteWorkflow($id: ID!) { deleteWorkflow(id: $id) }
`);
