// The Administration page (placeholder: a heading until the page is written).
import { PageHeader } from "../components/PageHeader";

export default function AdminPage() {
  return <PageHeader title="Administration" />;
}
