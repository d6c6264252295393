/** One regular file to read, with the other paths that are hard links to it. */
export interface FileEntry {
  /** The path as shown (a name that is not UTF-8 is shown with `\\xNN` escapes: see raw-names.ts). */
  readonly path: string;
  /** The path's bytes, when a component is not UTF-8: what is opened. */
  readonly raw?: Buffer;
  readonly size: number;
  readonly linkedPaths: readonly string[];
}

/** Files read first: their inflation or size is the long pole and runs beside the small ones. */
const PRIORITY_BYTES = 1 << 20;
const NO_LINKS: readonly string[] = Object.freeze([]);

function isCompressed(path: string): boolean {
  return /\.(gz|tgz)$/.test(path);
}

/**
 * The regular files of a walk, held compactly (issue 18): a tree of a million
 * small files must list in well under the scan's memory bound, so a small,
 * unlinked file costs its name and its size, kept per directory (~40 bytes),
 * not an object with its full path (~240 bytes measured). Large, compressed
 * and hard-linked files are kept whole; they are few.
 */
export class FileList {
  readonly #dirs: { readonly dir: string; readonly names: string[]; readonly sizes: number[] }[] = [];
  readonly #whole: FileEntry[] = [];
  #count = 0;
  #totalBytes = 0;

  /** Files listed (each hard-linked file once). */
  get count(): number {
    return this.#count;
  }

  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Adds a file; `entry` is kept as given (a hard link's later paths are pushed onto it). */
  addWhole(entry: FileEntry): void {
    this.#whole.push(entry);
    this.#count += 1;
    this.#totalBytes += entry.size;
  }

  /** Adds an unlinked file of `dir`. */
  add(dir: string, name: string, size: number): void {
    if (size >= PRIORITY_BYTES || isCompressed(name)) {
      this.addWhole({ path: `${dir}/${name}`, size, linkedPaths: NO_LINKS });
      return;
    }
    let last = this.#dirs.at(-1);
    if (last?.dir !== dir) {
      last = { dir, names: [], sizes: [] };
      this.#dirs.push(last);
    }
    last.names.push(name);
    last.sizes.push(size);
    this.#count += 1;
    this.#totalBytes += size;
  }

  /** The small files, made as they are taken. */
  *#small(): Generator<FileEntry, void, undefined> {
    for (const { dir, names, sizes } of this.#dirs) {
      for (let index = 0; index < names.length; index += 1) {
        yield { path: `${dir}/${names[index] ?? ""}`, size: sizes[index] ?? 0, linkedPaths: NO_LINKS };
      }
    }
  }

  /** Every file, in listing order (whole entries first). */
  *[Symbol.iterator](): Iterator<FileEntry> {
    yield* this.#whole;
    yield* this.#small();
  }

  /**
   * The scan order: compressed files first, then the rest largest first, then
   * the small ones as listed. Entries are made as they are taken, so a million
   * small files never exist as objects all at once.
   */
  *scheduled(): Generator<FileEntry, void, undefined> {
    const whole = [...this.#whole].sort(
      (a, b) => Number(isCompressed(b.path)) - Number(isCompressed(a.path)) || b.size - a.size,
    );
    yield* whole;
    yield* this.#small();
  }
}
