// The Workflow page (placeholder: a heading until the page is written).
import { PageHeader } from "../components/PageHeader";

export default function WorkflowPage() {
  return <PageHeader title="Workflow" />;
}
