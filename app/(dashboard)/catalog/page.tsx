import type { Metadata } from "next";

import { CatalogTable } from "@/components/catalog/catalog-table";
import { SyncCatalogButton } from "@/components/catalog/sync-catalog-button";
import { PageHeader } from "@/components/ui/card";

import { api, wire } from "../../_trpc/server";

export const metadata: Metadata = { title: "App Catalog" };

export default async function CatalogPage() {
  const titles = wire(await api().catalog.list());
  return (
    <>
      <PageHeader title="App Catalog" description={`${titles.length} titles. Pick a title to create an App Installer for it.`}>
        <SyncCatalogButton />
      </PageHeader>
      <CatalogTable titles={titles} />
    </>
  );
}
