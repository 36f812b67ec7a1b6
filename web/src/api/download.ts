/** Save a file the API serves: fetched like any other request, then handed to the browser. */
export async function saveDownload(url: string, filename: string): Promise<void> {
  // A fetch (not a navigation) so the request can carry the page's credentials, as the
  // report link requires the credentials that created it.
  const response = await fetch(url);
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { errors?: { message: string }[] } | null;
    throw new Error(body?.errors?.[0]?.message ?? `download failed: HTTP ${response.status}`);
  }
  const href = URL.createObjectURL(await response.blob());
  const anchor = Object.assign(document.createElement("a"), { href, download: filename });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
