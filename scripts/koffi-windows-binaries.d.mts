export declare const KOFFI_WINDOWS_ARCHES: string[];
export declare function koffiWindowsBinaries(): string[];
export declare function missingKoffiWindowsBinaries(root: string): string[];
export declare function beforePack(context: { electronPlatformName: string; packager: { projectDir: string } }): Promise<void>;
