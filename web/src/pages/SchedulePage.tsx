// The Schedule page (placeholder: a heading until the page is written).
import { PageHeader } from "../components/PageHeader";

export default function SchedulePage() {
  return <PageHeader title="Schedule" />;
}
