// The Queues page (placeholder: a heading until the page is written).
import { PageHeader } from "../components/PageHeader";

export default function QueuesPage() {
  return <PageHeader title="Queues" />;
}
