// The Jobs page (placeholder: a heading until the page is written).
import { PageHeader } from "../components/PageHeader";

export default function JobsPage() {
  return <PageHeader title="Jobs" />;
}
