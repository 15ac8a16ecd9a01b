// GraphQL documents more than one page uses.
import { graphql } from "../gql";

export const QueueChoicesDocument = graphql(`
  query QueueChoices {
    queues(first: 100) { edges { node { id name isPaused } } }
  }
`);

export const JobRowFragment = graphql(`
  fragment JobRow on Job {
    id
    jobType
    name
    status
    queueId
    workflowId
    priority
    attempts
    maxAttempts
    createdAt
    updatedAt
    startedAt
    finishedAt
    progress
    queue { id name }
  }
`);

/** A queue's live figures, as the Queues and Overview pages show them (the operation
 * defines `$minutes`, the throughput's span). */
export const QueueFiguresFragment = graphql(`
  fragment QueueFigures on QueueStats {
    waiting
    running
    scheduled
    succeededLastHour
    failedLastHour
    oldestWaitingAge
    countLimit
    throughput(minutes: $minutes) { minute succeeded failed }
  }
`);
