; Inno Setup script: Caseload Desktop for Windows, installed per user (no administrator rights),
; with a Start menu entry and an uninstaller (Settings > Apps, or the Control Panel).
;
; NOT BUILT OR TESTED HERE: there is no Windows machine in this project's CI. Build it on
; Windows (x64) with Inno Setup 6.3 or later, from the repository's root, after building the
; bundle there (README, "Installer"):
;
;   "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 installer\windows\caseload-desktop.iss
;
; AppVersion is the app's version (dist\caseload-desktop\caseload.exe --version); it has one
; source, pyproject.toml, so it is passed in rather than written here. The setup program is
; written to dist\caseload-desktop-<version>-windows-setup.exe.
;
; It installs dist\caseload-desktop\ (both programs: caseload-desktop.exe, the desktop app,
; and caseload.exe, the command line) into %LOCALAPPDATA%\Programs\Caseload Desktop. IT can
; install for every user instead with /ALLUSERS on the setup's command line (as an
; administrator: Program Files, and the Start menu of all users); /VERYSILENT installs without
; questions. The uninstaller removes the program only: each user's data (databases, backups,
; logs) in %LOCALAPPDATA%\Caseload Desktop stays.

#ifndef AppVersion
  #error Give the version: ISCC /DAppVersion=X.Y.Z (dist\caseload-desktop\caseload.exe --version prints it)
#endif

[Setup]
; The AppId identifies the app to Windows across versions: never change it.
AppId={{07854412-90D5-40E7-9593-3E4784824D0C}
AppName=Caseload Desktop
AppVersion={#AppVersion}
AppVerName=Caseload Desktop {#AppVersion}
AppPublisher=Caseload Desktop
DefaultDirName={autopf}\Caseload Desktop
DefaultGroupName=Caseload Desktop
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=caseload-desktop-{#AppVersion}-windows-setup
SetupIconFile=..\..\resources\icons\caseload-desktop.ico
UninstallDisplayIcon={app}\caseload-desktop.exe
UninstallDisplayName=Caseload Desktop
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Files]
Source: "..\..\dist\caseload-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; A new version replaces the old one's files entirely: no library of the previous Qt or Python
; is left beside the new.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\Caseload Desktop"; Filename: "{app}\caseload-desktop.exe"; Comment: "Allocated, orphaned and unallocated cases at a glance"

[Run]
Filename: "{app}\caseload-desktop.exe"; Description: "Open Caseload Desktop"; Flags: nowait postinstall skipifsilent
