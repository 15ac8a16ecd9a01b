// The Schedules page (placeholder: a heading until the page is written).
import { PageHeader } from "../components/PageHeader";

export default function SchedulesPage() {
  return <PageHeader title="Schedules" />;
}
