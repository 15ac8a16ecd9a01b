// The Overview page (placeholder: a heading until the page is written).
import { PageHeader } from "../components/PageHeader";

export default function OverviewPage() {
  return <PageHeader title="Overview" />;
}
