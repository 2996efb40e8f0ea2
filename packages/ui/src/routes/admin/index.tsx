import { Navigate } from '@solidjs/router';

export default function AdminIndex() {
  return <Navigate href="/admin/channels" />;
}
