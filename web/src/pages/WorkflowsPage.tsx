// The Workflows page (placeholder: a heading until the page is written).
import { PageHeader } from "../components/PageHeader";

export default function WorkflowsPage() {
  return <PageHeader title="Workflows" />;
}
