import { useQuery } from '@tanstack/react-query';
import { api, must } from '../api/client';

/** The installed connectors (GET /admin/api/connectors). */
export function useConnectors() {
  return useQuery({ queryKey: ['connectors'], queryFn: async () => must(await api.GET('/admin/api/connectors')).data, staleTime: Infinity });
}

/** The workspace's sources. */
export function useSources(workspace: string) {
  return useQuery({
    queryKey: ['sources', workspace],
    queryFn: async () => must(await api.GET('/admin/api/workspaces/{workspace}/sources', { params: { path: { workspace } } })).data,
  });
}
