import type { Db } from "../db.ts";

/**
 * Which file of a video the media row holds: the watermark-free one, the
 * high-bitrate transcode or the preview (2026-10 sheet §6). `NULL` for images
 * and for rows recorded before the server asked for better files.
 */
export function up(db: Db): void {
  db.exec(`
    ALTER TABLE media ADD COLUMN variant TEXT
      CHECK (variant IN ('no_watermark', 'high_bitrate', 'preview'));
  `);
}
