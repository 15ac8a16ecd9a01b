// Any path the dashboard does not know.
import { Link } from "react-router-dom";
import { PageHeader } from "../components/PageHeader";

export default function NotFoundPage() {
  return (
    <>
      <PageHeader title="Not found" />
      <p>
        Nothing lives at this address. <Link to="/">Back to the overview</Link>.
      </p>
    </>
  );
}
