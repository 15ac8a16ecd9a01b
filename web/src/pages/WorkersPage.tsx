// The Workers page (placeholder: a heading until the page is written).
import { PageHeader } from "../components/PageHeader";

export default function WorkersPage() {
  return <PageHeader title="Workers" />;
}
