import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";

/** The unified diff of one file's edit (`file` as shown, relative to the working directory). */
export function renderFileDiff(file: string, before: string, after: string): string {
  return createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
