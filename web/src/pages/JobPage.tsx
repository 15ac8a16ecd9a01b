// The Job page (placeholder: a heading until the page is written).
import { PageHeader } from "../components/PageHeader";

export default function JobPage() {
  return <PageHeader title="Job" />;
}
