import { Navigate } from '@solidjs/router';

export default function PortalIndex() {
  return <Navigate href="/portal/tokens" />;
}
